import { assertArgument } from '@bigface/backend/errors';

/** A 2D similarity as a 2x3 matrix `[[a, -b, tx], [b, a, ty]]`: x' = a x - b y + tx, y' = b x + a y + ty. */
export type SimilarityMatrix = [[number, number, number], [number, number, number]];

/**
 * The least-squares similarity (rotation, uniform scale, translation; no reflection) mapping
 * `source` points onto `destination` points: Umeyama's estimate (IEEE PAMI 13(4), 1991), which in 2D
 * has the closed form below; it is what insightface's `face_align` gets from scikit-image's
 * `SimilarityTransform.estimate`.
 *
 * @example
 * import { estimateSimilarity, ARCFACE_TEMPLATE } from '@bigface/data';
 * const matrix = estimateSimilarity(detectorLandmarks, ARCFACE_TEMPLATE);
 */
export function estimateSimilarity(source: readonly (readonly [number, number])[], destination: readonly (readonly [number, number])[]): SimilarityMatrix {
  assertArgument(
    source.length === destination.length && source.length >= 2,
    'INVALID_LANDMARKS',
    () => `estimateSimilarity: need the same number (>= 2) of source and destination points, got ${source.length} and ${destination.length}`,
  );
  assertArgument(
    [...source, ...destination].every((point) => point.length === 2 && Number.isFinite(point[0]) && Number.isFinite(point[1])),
    'INVALID_LANDMARKS',
    () => 'estimateSimilarity: every point must be [x, y] with finite numbers',
  );
  const n = source.length;
  let sx = 0,
    sy = 0,
    dx = 0,
    dy = 0;
  for (let i = 0; i < n; i++) {
    sx += source[i]![0] / n;
    sy += source[i]![1] / n;
    dx += destination[i]![0] / n;
    dy += destination[i]![1] / n;
  }
  // With centred points s, d as complex numbers, the best d ≈ z s has z = Σ conj(s) d / Σ |s|².
  let dot = 0,
    cross = 0,
    norm = 0;
  for (let i = 0; i < n; i++) {
    const px = source[i]![0] - sx;
    const py = source[i]![1] - sy;
    const qx = destination[i]![0] - dx;
    const qy = destination[i]![1] - dy;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  assertArgument(norm > 1e-12, 'INVALID_LANDMARKS', () => 'estimateSimilarity: the source points all coincide; check the landmarks');
  const a = dot / norm;
  const b = cross / norm;
  return [
    [a, -b, dx - (a * sx - b * sy)],
    [b, a, dy - (b * sx + a * sy)],
  ];
}
