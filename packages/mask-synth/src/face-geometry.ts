import { BigFaceError } from '@bigface/backend/errors';
import { ARCFACE_TEMPLATE_112 } from './arcface-template';
import { applySimilarity, fitSimilarity, invertSimilarity, type Point, type Similarity } from './geometry';
import { MEAN_FACE_68 } from './mean-face-68';

/**
 * Face landmarks in pixels: 5 points in ArcFace order (left eye, right eye, nose tip, left and right
 * mouth corner) or 68 points in iBUG / dlib order; as `[x, y]` pairs, `{x, y}` objects, or a flat
 * array of 10 or 136 numbers.
 */
export type Landmarks = ReadonlyArray<readonly [number, number] | { x: number; y: number }> | ArrayLike<number>;

/** Where a face is, resolved from its landmarks. Coordinates named `canonical` are in the ArcFace 112x112 frame. */
export interface FaceGeometry {
  /** 68 points in image pixels (the mean face mapped by `toImage` when only 5 were given). */
  points: Point[];
  /** The same 68 points in the canonical 112x112 frame. */
  canonicalPoints: Point[];
  /** Canonical 112x112 frame → image pixels. */
  toImage: Similarity;
  /** Image pixels → canonical frame. */
  toCanonical: Similarity;
  /** Image pixels per canonical pixel. */
  scale: number;
}

function mean(points: readonly Point[], from: number, to: number): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = from; i <= to; i++) {
    x += points[i]![0];
    y += points[i]![1];
  }
  return [x / (to - from + 1), y / (to - from + 1)];
}

/** The five ArcFace key points of a 68-point face. */
export function fivePointsOf68(points: readonly Point[]): Point[] {
  return [mean(points, 36, 41), mean(points, 42, 47), points[30]!, points[48]!, points[54]!];
}

function toPoints(landmarks: Landmarks, inputName: string): Point[] {
  const list = landmarks as ArrayLike<unknown>;
  if (list === null || typeof list !== 'object' || typeof list.length !== 'number') {
    throw new BigFaceError('INVALID_LANDMARKS', `${inputName}: landmarks must be an array of [x, y] points, got ${typeof landmarks}`);
  }
  let points: Point[];
  if (list.length > 0 && typeof list[0] === 'number') {
    if (list.length % 2 !== 0) throw new BigFaceError('LANDMARKS_WRONG_COUNT', `${inputName}: a flat landmark array needs an even length, got ${list.length}`);
    points = [];
    for (let i = 0; i < list.length; i += 2) points.push([Number(list[i]), Number(list[i + 1])]);
  } else {
    points = Array.from(list, (entry) => {
      if (Array.isArray(entry)) return [Number(entry[0]), Number(entry[1])] as const;
      if (entry !== null && typeof entry === 'object') {
        const { x, y } = entry as { x: unknown; y: unknown };
        return [Number(x), Number(y)] as const;
      }
      return [Number.NaN, Number.NaN] as const;
    });
  }
  if (points.length !== 5 && points.length !== 68) {
    throw new BigFaceError('LANDMARKS_WRONG_COUNT', `${inputName}: expected 5 landmarks (ArcFace order) or 68 (iBUG/dlib order), got ${points.length}`);
  }
  points.forEach(([x, y], index) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      throw new BigFaceError('INVALID_LANDMARKS', `${inputName}: landmark ${index} is not a finite point: (${x}, ${y})`);
    }
  });
  return points;
}

/**
 * Resolves landmarks (or, for a 112x112 aligned crop, none) into a {@link FaceGeometry}, checking that
 * they describe a face inside the image.
 */
export function resolveFaceGeometry(landmarks: Landmarks | undefined, width: number, height: number, inputName: string): FaceGeometry {
  let given: Point[];
  if (landmarks === undefined || landmarks === null) {
    if (width !== 112 || height !== 112) {
      throw new BigFaceError(
        'LANDMARKS_REQUIRED',
        `${inputName}: landmarks are optional only for 112x112 aligned crops; this image is ${width}x${height}: pass 5 or 68 landmarks, or a face detector as findLandmarks (createLandmarkFinder from @bigface/data)`,
      );
    }
    given = ARCFACE_TEMPLATE_112.slice();
  } else {
    given = toPoints(landmarks, inputName);
  }
  const five = given.length === 5 ? given : fivePointsOf68(given);
  const names = ['left eye', 'right eye', 'nose tip', 'left mouth corner', 'right mouth corner'];
  five.forEach(([x, y], index) => {
    if (x < 0 || y < 0 || x > width || y > height) {
      throw new BigFaceError(
        'LANDMARKS_OUTSIDE_IMAGE',
        `${inputName}: the ${names[index]} (${x.toFixed(1)}, ${y.toFixed(1)}) lies outside the ${width}x${height} image`,
      );
    }
  });
  const [leftEye, rightEye, , leftMouth, rightMouth] = five as [Point, Point, Point, Point, Point];
  const eyeX = rightEye[0] - leftEye[0];
  const eyeY = rightEye[1] - leftEye[1];
  const eyeDistance = Math.hypot(eyeX, eyeY);
  const mouthX = (leftMouth[0] + rightMouth[0]) / 2 - leftEye[0];
  const mouthY = (leftMouth[1] + rightMouth[1]) / 2 - leftEye[1];
  // Distance of the mouth from the eye line, relative to the eye distance: about 1.1 on real faces.
  const mouthOffset = eyeDistance > 0 ? Math.abs(eyeX * mouthY - eyeY * mouthX) / (eyeDistance * eyeDistance) : 0;
  if (eyeDistance < 2 || mouthOffset < 0.25) {
    throw new BigFaceError(
      'LANDMARKS_DEGENERATE',
      `${inputName}: degenerate landmarks: the eyes and mouth are (nearly) collinear or coincide ` +
        `(eye distance ${eyeDistance.toFixed(2)} px, mouth off the eye line by ${mouthOffset.toFixed(2)} eye distances; a face has about 1)`,
    );
  }
  const toImage = fitSimilarity(ARCFACE_TEMPLATE_112, five);
  const toCanonical = invertSimilarity(toImage);
  const scale = Math.hypot(toImage.a, toImage.b);
  let points: Point[];
  if (given.length === 68) {
    const margin = eyeDistance;
    given.forEach(([x, y], index) => {
      if (x < -margin || y < -margin || x > width + margin || y > height + margin) {
        throw new BigFaceError(
          'LANDMARKS_OUTSIDE_IMAGE',
          `${inputName}: landmark ${index} (${x.toFixed(1)}, ${y.toFixed(1)}) lies far outside the ${width}x${height} image`,
        );
      }
    });
    points = given;
  } else {
    points = MEAN_FACE_68.map((point) => applySimilarity(toImage, point));
  }
  return { points, canonicalPoints: points.map((point) => applySimilarity(toCanonical, point)), toImage, toCanonical, scale };
}
