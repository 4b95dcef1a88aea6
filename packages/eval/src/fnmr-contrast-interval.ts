import { assertArgument } from '@bigface/backend';
import {
  bootstrapSettings,
  identityResampler,
  percentileInterval,
  type BootstrapInterval,
  type BootstrapOptions,
  type PairIdentities,
} from './bootstrap-over-identities';
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

/** Options of {@link bootstrapFalseNonMatchRates}. */
export interface FnmrBootstrapOptions {
  falseMatchRates: readonly number[];
  /** Replicates; default 2000. */
  replicates?: number;
  seed: number;
  /** Only these score names (default: every name of the first set). */
  names?: readonly string[];
}

/** FNMR@FMR of every score name under one shared set of identity resamplings (see {@link bootstrapFalseNonMatchRates}). */
export interface FnmrBootstrap {
  names: readonly string[];
  falseMatchRates: readonly number[];
  replicates: number;
  /** FNMR of `name` on the data as measured, averaged over the sets (null: not measurable). */
  estimate(name: string, falseMatchRate: number): number | null;
  /** The interval of Σ coefficient·FNMR(name) (averaged over the sets) at `confidence` (default 0.95). */
  interval(contrast: Readonly<Record<string, number>>, falseMatchRate: number, confidence?: number): BootstrapInterval;
}

/**
 * FNMR@FMR of several models (score names) on the same verification sets, bootstrapped over
 * identities once for all of them: every replicate resamples each set's identities (sets are strata,
 * e.g. one per seed) and reads every name and FMR under the same weights. Any linear contrast of the
 * names then has its interval from the same replicates — paired, so the interval is on the contrast
 * itself (`{ b: 1, a: -1 }` is the difference of b and a; `{ a: 1 }` a's FNMR). The replicates of
 * {@link fnmrContrastInterval} with the same seed are these, for one contrast at a time.
 *
 * @example
 * const boot = bootstrapFalseNonMatchRates([set0, set1], { falseMatchRates: [1e-3], seed: 1 });
 * boot.interval({ teacher: 1, student: -1 }, 1e-3); // { estimate, low, high, excludesZero, ... }
 */
export function bootstrapFalseNonMatchRates(sets: readonly ScoredPairs[], options: FnmrBootstrapOptions): FnmrBootstrap {
  const where = 'bootstrapFalseNonMatchRates';
  const { replicates, seed } = bootstrapSettings({ replicates: options.replicates, seed: options.seed }, where);
  const { falseMatchRates } = options;
  assertArgument(sets.length > 0, 'EVAL_BAD_BOOTSTRAP', () => `${where}: no sets; give at least one set of scored pairs`);
  assertArgument(
    falseMatchRates.length > 0 && falseMatchRates.every((rate) => rate > 0 && rate < 1),
    'EVAL_BAD_BOOTSTRAP',
    () => `${where}: falseMatchRates must be rates in (0, 1), got [${falseMatchRates.join(', ')}]`,
  );
  const names = options.names ?? Object.keys(sets[0]!.scores);
  assertArgument(names.length > 0, 'EVAL_BAD_BOOTSTRAP', () => `${where}: no score names; give scores per model, e.g. { teacher, student }`);
  const sorted: Record<string, SortedVerificationScores>[] = sets.map((set, index) =>
    Object.fromEntries(
      names.map((name) => {
        const scores = set.scores[name];
        assertArgument(
          scores !== undefined,
          'EVAL_BAD_BOOTSTRAP',
          () => `${where}: set ${index} has no scores '${name}'; it has ${Object.keys(set.scores).join(', ') || 'none'}`,
        );
        assertArgument(
          scores.length === set.issame.length,
          'EVAL_BAD_BOOTSTRAP',
          () => `${where}: set ${index} scores '${name}' has ${scores.length} values for ${set.issame.length} pairs`,
        );
        return [name, sortVerificationScores(scores, set.issame, where)];
      }),
    ),
  );
  // FNMR per (name, rate): the estimate, and one value per replicate (mean over sets; NaN: not measurable).
  const key = (name: string, rate: number) => `${name}\u0000${rate}`;
  // The weight totals of each set's genuine and impostor pairs: shared by every name of a replicate.
  const totalsOf = (weights: readonly Float64Array[]) =>
    weights.map((pairWeights, set) => {
      const issame = sets[set]!.issame;
      let genuine = 0;
      let impostor = 0;
      for (let pair = 0; pair < pairWeights.length; pair += 1) {
        if (issame[pair]) genuine += pairWeights[pair]!;
        else impostor += pairWeights[pair]!;
      }
      return { genuine, impostor };
    });
  const measure = (weights: readonly (Float64Array | undefined)[], name: string, rate: number, totals?: readonly { genuine: number; impostor: number }[]) => {
    let total = 0;
    for (let set = 0; set < sets.length; set += 1) {
      const value = weightedFalseNonMatchRateSorted(sorted[set]![name]!, rate, weights[set], totals?.[set]);
      if (value === null) return Number.NaN;
      total += value;
    }
    return total / sets.length;
  };
  const estimates = new Map<string, number>();
  const values = new Map<string, Float64Array>();
  for (const name of names) {
    for (const rate of falseMatchRates) {
      estimates.set(key(name, rate), measure([], name, rate));
      values.set(key(name, rate), new Float64Array(replicates));
    }
  }
  const resampler = identityResampler(sets, seed, where);
  for (let replicate = 0; replicate < replicates; replicate += 1) {
    const weights = resampler.next();
    const totals = totalsOf(weights);
    for (const name of names) for (const rate of falseMatchRates) values.get(key(name, rate))![replicate] = measure(weights, name, rate, totals);
  }
  const known = (name: string, rate: number) => {
    assertArgument(names.includes(name), 'EVAL_BAD_BOOTSTRAP', () => `${where}: no scores '${name}'; bootstrapped names are ${names.join(', ')}`);
    assertArgument(
      falseMatchRates.includes(rate),
      'EVAL_BAD_BOOTSTRAP',
      () => `${where}: FMR ${rate} was not bootstrapped; choose one of ${falseMatchRates.join(', ')}`,
    );
  };
  return {
    names,
    falseMatchRates,
    replicates,
    estimate(name, rate) {
      known(name, rate);
      const value = estimates.get(key(name, rate))!;
      return Number.isFinite(value) ? value : null;
    },
    interval(contrast, rate, confidence = 0.95) {
      const terms = Object.entries(contrast);
      assertArgument(terms.length > 0, 'EVAL_BAD_BOOTSTRAP', () => 'fnmrContrastInterval: the contrast is empty; give e.g. { candidate: 1, reference: -1 }');
      assertArgument(confidence > 0 && confidence < 1, 'EVAL_BAD_BOOTSTRAP', () => `${where}: confidence must be in (0, 1), got ${confidence}`);
      for (const [name] of terms) known(name, rate);
      let estimate = 0;
      for (const [name, coefficient] of terms) estimate += coefficient * estimates.get(key(name, rate))!;
      const combined = new Float64Array(replicates);
      for (const [name, coefficient] of terms) {
        const series = values.get(key(name, rate))!;
        for (let replicate = 0; replicate < replicates; replicate += 1) combined[replicate]! += coefficient * series[replicate]!;
      }
      return percentileInterval(estimate, combined, confidence, where);
    },
  };
}

/**
 * A 95 % (by default) bootstrap interval, over identities, of a linear combination of FNMR@FMR
 * values: Σ coefficient·FNMR(scores[name]) per verification set, averaged over the sets. With
 * `{ distilled: 1, plain: -1 }` it is the paired difference of two models evaluated on the same
 * pairs (negative: the first is better); with `{ teacher: 1 }` one model's FNMR. Every name is read
 * under the same identity resampling, so the interval is on the contrast itself, not on its parts.
 * Sets are resampled independently (strata): give one per seed when each seed has its own held-out
 * identities. For many contrasts on the same sets, {@link bootstrapFalseNonMatchRates} resamples once.
 *
 * @example
 * const set = { ...pairs, scores: { distilled, plain } };  // pairs from sampleIdentityPairs
 * const difference = fnmrContrastInterval([set], { distilled: 1, plain: -1 }, { falseMatchRate: 1e-3, seed: 1 });
 * difference.excludesZero && difference.high < 0; // distillation lowered FNMR beyond the noise
 */
export function fnmrContrastInterval(
  sets: readonly ScoredPairs[],
  contrast: Readonly<Record<string, number>>,
  options: FnmrContrastOptions,
): BootstrapInterval {
  const { falseMatchRate, confidence = 0.95, ...bootstrap } = options;
  const names = Object.keys(contrast);
  assertArgument(names.length > 0, 'EVAL_BAD_BOOTSTRAP', () => 'fnmrContrastInterval: the contrast is empty; give e.g. { candidate: 1, reference: -1 }');
  assertArgument(
    falseMatchRate > 0 && falseMatchRate < 1,
    'EVAL_BAD_BOOTSTRAP',
    () => `fnmrContrastInterval: falseMatchRate must be in (0, 1), got ${falseMatchRate}`,
  );
  return bootstrapFalseNonMatchRates(sets, { ...bootstrap, falseMatchRates: [falseMatchRate], names }).interval(contrast, falseMatchRate, confidence);
}
