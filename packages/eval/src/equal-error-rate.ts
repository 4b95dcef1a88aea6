import { rocCurve } from './roc-curve';

/** Result of {@link equalErrorRate}. */
export interface EqualErrorRate {
  /** The rate where false accept rate = false reject rate (1 − TAR), on the linearly interpolated ROC. */
  rate: number;
  /** The threshold interpolated between the two scores that bracket the crossing. */
  threshold: number;
}

/**
 * Equal error rate: where the ROC (linear between its distinct-score points) crosses
 * FAR = 1 − TAR.
 *
 * @example
 * equalErrorRate([0.9, 0.6, 0.7, 0.4], [true, false, false, true]).rate; // 0.5
 */
export function equalErrorRate(scores: ArrayLike<number>, issame: ArrayLike<boolean>): EqualErrorRate {
  const { thresholds, falseAcceptRate: far, trueAcceptRate: tar } = rocCurve(scores, issame);
  // g = FAR − FRR goes from −1 (accept nothing) to +1 (accept everything) and is non-decreasing.
  for (let index = 1; index < thresholds.length; index += 1) {
    const previous = far[index - 1]! - (1 - tar[index - 1]!);
    const current = far[index]! - (1 - tar[index]!);
    if (current >= 0) {
      const t = current === previous ? 0 : -previous / (current - previous);
      const rate = far[index - 1]! + t * (far[index]! - far[index - 1]!);
      const low = thresholds[index - 1]!;
      const threshold = Number.isFinite(low) ? low + t * (thresholds[index]! - low) : thresholds[index]!;
      return { rate, threshold };
    }
  }
  return { rate: far.at(-1)!, threshold: thresholds.at(-1)! };
}
