import type { Point } from './geometry';
import { MEAN_FACE_68 } from './mean-face-68';

/** x of the jaw contour at height `y` (canonical frame) on one side: points 0..8 (left) or 16..8 (right). */
export function jawXAtLevel(points: readonly Point[], side: 'left' | 'right', y: number): number {
  const order = side === 'left' ? [0, 1, 2, 3, 4, 5, 6, 7, 8] : [16, 15, 14, 13, 12, 11, 10, 9, 8];
  let previous = points[order[0]!]!;
  if (y <= previous[1]) return previous[0];
  for (let i = 1; i < order.length; i++) {
    const current = points[order[i]!]!;
    if (y <= current[1]) {
      const t = (y - previous[1]) / (current[1] - previous[1] || 1);
      return previous[0] + t * (current[0] - previous[0]);
    }
    previous = current;
  }
  return previous[0];
}

/**
 * The six anchor points masks are placed on (canonical frame): nose bridge (point 28), cheeks where
 * the jaw contour crosses the nose tip's height, jaw where it crosses the lips' height, chin (point 8).
 * Order: bridge, left cheek, left jaw, chin, right cheek, right jaw.
 */
export function faceAnchors(points: readonly Point[]): Point[] {
  const noseTipY = points[30]![1];
  const lipsY = (points[62]![1] + points[66]![1]) / 2;
  return [
    points[28]!,
    [jawXAtLevel(points, 'left', noseTipY), noseTipY],
    [jawXAtLevel(points, 'left', lipsY), lipsY],
    points[8]!,
    [jawXAtLevel(points, 'right', noseTipY), noseTipY],
    [jawXAtLevel(points, 'right', lipsY), lipsY],
  ];
}

/** The anchors in template space (u across, v down; bridge at (0.5, 0), chin at (0.5, 1)), from the mean face. */
export const TEMPLATE_ANCHORS: readonly Point[] = (() => {
  const anchors = faceAnchors(MEAN_FACE_68);
  const [bridge, leftCheek, , chin, rightCheek] = anchors as [Point, Point, Point, Point, Point, Point];
  const centreX = bridge[0];
  const halfWidth = (rightCheek[0] - leftCheek[0]) / 2;
  const height = chin[1] - bridge[1];
  return anchors.map(([x, y]) => [0.5 + (x - centreX) / (2 * halfWidth), (y - bridge[1]) / height] as const);
})();

/**
 * The eye guard that keeps masks off the eyes whatever the head pose, as one box per eye (left, right):
 * at a canonical point inside an eye's x range the mask's factor is 0 above a line just under that
 * lower eyelid (2 canonical px below the lowest eye contour point; the range is 3 px wider than the eye
 * on each side), ramping to 1 over one canonical pixel.
 */
export function eyeGuardBoxes(points: readonly Point[]): [EyeGuardBox, EyeGuardBox] {
  const box = (first: number): EyeGuardBox => {
    let minX = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = first; i < first + 6; i++) {
      minX = Math.min(minX, points[i]![0]);
      maxX = Math.max(maxX, points[i]![0]);
      maxY = Math.max(maxY, points[i]![1]);
    }
    return { minX: minX - 3, maxX: maxX + 3, guardY: maxY + 2 };
  };
  return [box(36), box(42)];
}

/** One eye's guard box in canonical pixels. */
export interface EyeGuardBox {
  minX: number;
  maxX: number;
  guardY: number;
}
