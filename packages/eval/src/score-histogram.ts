import { assertArgument } from '@bigface/backend';

/** Counts of `values` in `bins` equal bins over [low, high]; values outside are clamped into the end bins. */
export function scoreHistogram(values: ArrayLike<number>, bins: number, low: number, high: number): number[] {
  assertArgument(
    Number.isInteger(bins) && bins > 0 && high > low,
    'EVAL_BAD_HISTOGRAM',
    () => `scoreHistogram: need bins ≥ 1 and low < high, got ${bins} bins over [${low}, ${high}]`,
  );
  const counts = new Array<number>(bins).fill(0);
  for (let index = 0; index < values.length; index += 1) {
    const bin = Math.floor(((values[index]! - low) / (high - low)) * bins);
    counts[Math.min(bins - 1, Math.max(0, bin))]! += 1;
  }
  return counts;
}
