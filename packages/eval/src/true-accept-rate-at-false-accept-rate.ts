import { STANDARD_FALSE_MATCH_RATES, trueAcceptRatesAt, type OperatingPoint } from './operating-points';

/**
 * TAR@FAR: the fraction of genuine pairs accepted (score ≥ threshold) at the lowest threshold
 * whose false accept rate is ≤ each target FAR (default 1e-1 … 1e-6). Where the impostors are
 * fewer than 1/FAR, `value` is a sentence saying so instead of a number.
 *
 * @example
 * trueAcceptRateAtFalseAcceptRate(scores, issame, [1e-3]); // [{ falseMatchRate: 0.001, value: 0.97, threshold: 0.31, ... }]
 */
export function trueAcceptRateAtFalseAcceptRate(
  scores: ArrayLike<number>,
  issame: ArrayLike<boolean>,
  falseAcceptRates: readonly number[] = STANDARD_FALSE_MATCH_RATES,
): OperatingPoint[] {
  return trueAcceptRatesAt(scores, issame, falseAcceptRates);
}
