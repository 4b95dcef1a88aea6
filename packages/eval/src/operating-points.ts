import { rocCurve, type RocCurve } from './roc-curve';

/** The BigFace / MFR operating points: FMR (= FAR) 1e-1 … 1e-6. */
export const STANDARD_FALSE_MATCH_RATES: readonly number[] = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6];

/**
 * One operating point. `value` is the rate asked for (TAR or FNMR) at the lowest threshold whose
 * false match rate is ≤ `falseMatchRate`; or, when there are fewer than 1/FMR impostor pairs (the
 * point cannot be measured), the sentence "not enough impostor pairs for FMR x (have N, need ≥ M)"
 * with `threshold` and `measuredFalseMatchRate` null.
 */
export interface OperatingPoint {
  falseMatchRate: number;
  value: number | string;
  threshold: number | null;
  /** The FMR actually reached at `threshold` (≤ falseMatchRate). */
  measuredFalseMatchRate: number | null;
}

/** Fewer impostors than this cannot resolve FMR `rate`. */
function impostorsNeeded(rate: number): number {
  return Math.ceil((1 / rate) * (1 - 1e-12));
}

/** TAR at each FMR, or the reason why not; shared by the two public functions. */
export function trueAcceptRatesAt(scores: ArrayLike<number>, issame: ArrayLike<boolean>, falseMatchRates: readonly number[]): OperatingPoint[] {
  return trueAcceptRatesOnRoc(rocCurve(scores, issame), falseMatchRates);
}

/** TAR at each FMR read off a ready ROC curve (ties: a tied score is accepted or rejected as a block). */
export function trueAcceptRatesOnRoc(roc: RocCurve, falseMatchRates: readonly number[]): OperatingPoint[] {
  return falseMatchRates.map((rate) => {
    const needed = impostorsNeeded(rate);
    if (roc.impostorCount < needed) {
      return {
        falseMatchRate: rate,
        value: `not enough impostor pairs for FMR ${rate.toExponential()} (have ${roc.impostorCount}, need ≥ ${needed})`,
        threshold: null,
        measuredFalseMatchRate: null,
      };
    }
    // The ROC is monotone: the last point with FAR ≤ rate has the highest TAR among them.
    let best = 0;
    for (let index = 0; index < roc.thresholds.length && roc.falseAcceptRate[index]! <= rate; index += 1) best = index;
    return { falseMatchRate: rate, value: roc.trueAcceptRate[best]!, threshold: roc.thresholds[best]!, measuredFalseMatchRate: roc.falseAcceptRate[best]! };
  });
}
