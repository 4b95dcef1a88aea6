/**
 * Greedy non-maximum suppression on `[ymin, xmin, ymax, xmax]` boxes: best score first, a box is kept
 * unless it overlaps a kept one by more than `iouThreshold` (intersection over union).
 */
export function nonMaxSuppression<T extends { box: readonly [number, number, number, number]; score: number }>(
  candidates: readonly T[],
  iouThreshold: number,
  maxOutput: number,
): T[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const candidate of sorted) {
    if (kept.length >= maxOutput) break;
    if (kept.every((other) => intersectionOverUnion(candidate.box, other.box) <= iouThreshold)) kept.push(candidate);
  }
  return kept;
}

function intersectionOverUnion(a: readonly [number, number, number, number], b: readonly [number, number, number, number]): number {
  const areaA = (a[2] - a[0]) * (a[3] - a[1]);
  const areaB = (b[2] - b[0]) * (b[3] - b[1]);
  if (areaA <= 0 || areaB <= 0) return 0;
  const height = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const width = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const intersection = height * width;
  return intersection / (areaA + areaB - intersection);
}
