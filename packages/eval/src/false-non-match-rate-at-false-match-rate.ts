import { STANDARD_FALSE_MATCH_RATES, trueAcceptRatesAt, type OperatingPoint } from './operating-points';

/**
 * FNMR@FMR, the metric of the masked-face challenges (MFR-ICCV2021, NIST FRVT): 1 − TAR at the
 * lowest threshold whose false match rate is ≤ each target FMR (default 1e-1 … 1e-6). Where the
 * impostors are fewer than 1/FMR, `value` is "not enough impostor pairs for FMR x (have N, need ≥ M)"
 * instead of a number. Accept means `score ≥ threshold`; tied scores are accepted or rejected
 * together, so when a tie straddles the target the threshold stays above it (the measured FMR is
 * never above the target; it is in `measuredFalseMatchRate`).
 *
 * @example
 * const [point] = falseNonMatchRateAtFalseMatchRate(scores, issame, [1e-4]);
 * typeof point.value === 'number' ? point.value : console.warn(point.value);
 */
export function falseNonMatchRateAtFalseMatchRate(
  scores: ArrayLike<number>,
  issame: ArrayLike<boolean>,
  falseMatchRates: readonly number[] = STANDARD_FALSE_MATCH_RATES,
): OperatingPoint[] {
  return trueAcceptRatesAt(scores, issame, falseMatchRates).map((point) => (typeof point.value === 'number' ? { ...point, value: 1 - point.value } : point));
}
