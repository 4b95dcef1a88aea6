import { assertArgument } from '@bigface/backend';
import { bootstrapOverIdentities, type BootstrapInterval, type BootstrapOptions, type PairIdentities } from './bootstrap-over-identities';
import { sortVerificationScores, weightedFalseNonMatchRateSorted, type SortedVerificationScores } from './weighted-false-non-match-rate';

/**
 * One verification set (e.g. the held-out identities of one seed) and the scores that several
 * models (or protocols) gave its pairs: `scores[name][p]` is pair p's score under `name`.
 */
export interface ScoredPairs extends PairIdentities {
  issame: ArrayLike<boolean>;
  scores: Readonly<Record<string, ArrayLike<number>>>;
}

/** Options of {@link fnmrContrastInterval}. */
export interface FnmrContrastOptions extends BootstrapOptions {
  falseMatchRate: number;
}

/**
 * A 95 % (by default) bootstrap interval, over identities, of a linear combination of FNMR@FMR
 * values: Σ coefficient·FNMR(scores[name]) per verification set, averaged over the sets. With
 * `{ distilled: 1, plain: -1 }` it is the paired difference of two models evaluated on the same
 * pairs (negative: the first is better); with `{ teacher: 1 }` one model's FNMR. Every name is read
 * under the same identity resampling, so the interval is on the contrast itself, not on its parts.
 * Sets are resampled independently (strata): give one per seed when each seed has its own held-out
 * identities.
 *
 * @example
 * const set = { ...pairs, scores: { distilled, plain } };  // pairs from sampleIdentityPairs
 * const difference = fnmrContrastInterval([set], { distilled: 1, plain: -1 }, { falseMatchRate: 1e-3, seed: 1 });
 * difference.excludesZero && difference.high < 0; // distillation lowered FNMR beyond the noise
 */
export function fnmrContrastInterval(sets: readonly ScoredPairs[], contrast: Readonly<Record<string, number>>, options: FnmrContrastOptions): BootstrapInterval {
  const { falseMatchRate, ...bootstrap } = options;
  const names = Object.keys(contrast);
  assertArgument(names.length > 0, 'EVAL_BAD_BOOTSTRAP', () => 'fnmrContrastInterval: the contrast is empty; give e.g. { candidate: 1, reference: -1 }');
  assertArgument(falseMatchRate > 0 && falseMatchRate < 1, 'EVAL_BAD_BOOTSTRAP', () => `fnmrContrastInterval: falseMatchRate must be in (0, 1), got ${falseMatchRate}`);
  const sorted: Record<string, SortedVerificationScores>[] = sets.map((set, index) =>
    Object.fromEntries(
      names.map((name) => {
        const scores = set.scores[name];
        assertArgument(scores !== undefined, 'EVAL_BAD_BOOTSTRAP', () => `fnmrContrastInterval: set ${index} has no scores '${name}'; it has ${Object.keys(set.scores).join(', ') || 'none'}`);
        assertArgument(scores.length === set.issame.length, 'EVAL_BAD_BOOTSTRAP', () => `fnmrContrastInterval: set ${index} scores '${name}' has ${scores.length} values for ${set.issame.length} pairs`);
        return [name, sortVerificationScores(scores, set.issame, 'fnmrContrastInterval')];
      }),
    ),
  );
  const statistic = (weights: readonly Float64Array[]) => {
    let total = 0;
    for (let set = 0; set < sets.length; set += 1) {
      for (const name of names) {
        const value = weightedFalseNonMatchRateSorted(sorted[set]![name]!, falseMatchRate, weights[set]);
        if (value === null) return Number.NaN;
        total += contrast[name]! * value;
      }
    }
    return total / sets.length;
  };
  return bootstrapOverIdentities(sets, statistic, bootstrap);
}
