import { assertArgument } from '@bigface/backend';
import { checkScores } from './roc-curve';

/**
 * Scores sorted once so that FNMR@FMR can be read off under many weightings of the pairs (the
 * replicates of a bootstrap): {@link weightedFalseNonMatchRate} and the bootstrap share it.
 */
export interface SortedVerificationScores {
  /** Pair indices of the impostor pairs, by descending score. */
  impostorOrder: Int32Array;
  /** Pair indices of the genuine pairs, by descending score. */
  genuineOrder: Int32Array;
  scores: ArrayLike<number>;
}

/** Sorts the genuine and impostor pairs of `scores` by descending score. */
export function sortVerificationScores(scores: ArrayLike<number>, issame: ArrayLike<boolean>, where = 'sortVerificationScores'): SortedVerificationScores {
  checkScores(scores, issame, where);
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let pair = 0; pair < scores.length; pair += 1) (issame[pair] ? genuine : impostor).push(pair);
  const descending = (a: number, b: number) => scores[b]! - scores[a]!;
  return { impostorOrder: Int32Array.from(impostor.sort(descending)), genuineOrder: Int32Array.from(genuine.sort(descending)), scores };
}

/**
 * FNMR at one FMR with each pair counted `weights[pair]` times, on pre-sorted scores. The rule is
 * {@link falseNonMatchRateAtFalseMatchRate}'s: accept `score ≥ threshold` at the lowest threshold
 * whose (weighted) FMR ≤ `falseMatchRate`, tied scores moving together; so the genuine pairs
 * rejected are those scoring at or below the first impostor score whose block pushes the FMR over
 * the target. Returns null when the weighted impostor count is below 1/FMR (not measurable).
 */
export function weightedFalseNonMatchRateSorted(
  sorted: SortedVerificationScores,
  falseMatchRate: number,
  weights?: ArrayLike<number>,
  /** The total weight of the impostor and of the genuine pairs, when the caller has them (they do not depend on the scores). */
  totals?: { impostor: number; genuine: number },
): number | null {
  const { impostorOrder, genuineOrder, scores } = sorted;
  const weight = weights === undefined ? () => 1 : (pair: number) => weights[pair]!;
  let impostorTotal = totals?.impostor ?? 0;
  let genuineTotal = totals?.genuine ?? 0;
  if (totals === undefined) {
    for (let k = 0; k < impostorOrder.length; k += 1) impostorTotal += weight(impostorOrder[k]!);
    for (let k = 0; k < genuineOrder.length; k += 1) genuineTotal += weight(genuineOrder[k]!);
  }
  // As operating-points.ts: fewer impostors than 1/FMR cannot resolve it.
  if (impostorTotal < Math.ceil((1 / falseMatchRate) * (1 - 1e-12)) || genuineTotal <= 0) return null;
  // Walk impostor blocks (equal scores) from the top until the accepted share exceeds the target.
  let accepted = 0;
  let breaking = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < impostorOrder.length; ) {
    const score = scores[impostorOrder[k]!]!;
    let block = 0;
    while (k < impostorOrder.length && scores[impostorOrder[k]!] === score) block += weight(impostorOrder[k++]!);
    if (block === 0) continue;
    accepted += block;
    if (accepted / impostorTotal > falseMatchRate) {
      breaking = score;
      break;
    }
  }
  let acceptedGenuine = 0;
  for (let k = 0; k < genuineOrder.length && scores[genuineOrder[k]!]! > breaking; k += 1) acceptedGenuine += weight(genuineOrder[k]!);
  return 1 - acceptedGenuine / genuineTotal;
}

/**
 * FNMR@FMR with a weight per pair (a pair of weight 3 counts as three copies; 0 leaves it out),
 * equal to {@link falseNonMatchRateAtFalseMatchRate} on the list with each pair repeated that many
 * times, and to it on the list itself without weights. The bootstrap over identities uses it with
 * the weights that a resampling of identities gives each pair. Null where the (weighted) impostors
 * are fewer than 1/FMR.
 *
 * @example
 * const scores = [0.9, 0.45, 0.8, 0.5, 0.1, 0.0];
 * const issame = [true, true, false, false, false, false];
 * weightedFalseNonMatchRate(scores, issame, 0.25);                     // 0.5: 0.45 is rejected
 * weightedFalseNonMatchRate(scores, issame, 0.25, [1, 3, 1, 1, 1, 1]); // 0.75: it counts three times
 */
export function weightedFalseNonMatchRate(
  scores: ArrayLike<number>,
  issame: ArrayLike<boolean>,
  falseMatchRate: number,
  weights?: ArrayLike<number>,
): number | null {
  assertArgument(
    falseMatchRate > 0 && falseMatchRate <= 1,
    'EVAL_BAD_SCORES',
    () => `weightedFalseNonMatchRate: falseMatchRate must be in (0, 1], got ${falseMatchRate}`,
  );
  if (weights !== undefined) {
    assertArgument(
      weights.length === scores.length,
      'EVAL_BAD_SCORES',
      () => `weightedFalseNonMatchRate: ${weights.length} weights for ${scores.length} scores; give one weight per pair`,
    );
    for (let pair = 0; pair < weights.length; pair += 1) {
      assertArgument(
        Number.isFinite(weights[pair]) && weights[pair]! >= 0,
        'EVAL_BAD_SCORES',
        () => `weightedFalseNonMatchRate: weight ${pair} is ${weights[pair]}; weights must be finite and ≥ 0`,
      );
    }
  }
  return weightedFalseNonMatchRateSorted(sortVerificationScores(scores, issame, 'weightedFalseNonMatchRate'), falseMatchRate, weights);
}
