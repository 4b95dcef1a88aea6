import { assertArgument, hashSeed, Rng } from '@bigface/backend';

/** The identities of each pair of a verification set (see {@link IdentityPairs}). */
export interface PairIdentities {
  firstIdentity: ArrayLike<number>;
  secondIdentity: ArrayLike<number>;
}

/** A percentile bootstrap interval of a statistic. */
export interface BootstrapInterval {
  /** The statistic on the data as measured (every weight 1). */
  estimate: number;
  /** Lower and upper percentile bounds at `confidence`. */
  low: number;
  high: number;
  confidence: number;
  /** Replicates drawn, and those whose statistic could be computed (finite). */
  replicates: number;
  validReplicates: number;
  /** Standard deviation of the replicates. */
  standardError: number;
  /** True when the interval lies entirely above or entirely below 0. */
  excludesZero: boolean;
}

/** Options of {@link bootstrapOverIdentities}. */
export interface BootstrapOptions {
  /** Replicates; default 2000. */
  replicates?: number;
  seed: number;
  /** Two-sided confidence; default 0.95. */
  confidence?: number;
}

/**
 * The pair weights of one bootstrap replicate: identity i drawn `multiplicity(i)` times makes each of
 * its genuine pairs count that many times and each impostor pair between i and j count
 * multiplicity(i)·multiplicity(j) times — the pairs of the resampled population, where every copy
 * of an identity keeps all of its comparisons with every copy of the others.
 *
 * @example
 * identityBootstrapWeights({ firstIdentity: [0, 0], secondIdentity: [0, 1] }, (id) => [2, 3][id]); // [2, 6]
 */
export function identityBootstrapWeights(pairs: PairIdentities, multiplicity: (identity: number) => number): Float64Array {
  const count = pairs.firstIdentity.length;
  const weights = new Float64Array(count);
  for (let pair = 0; pair < count; pair += 1) {
    const a = pairs.firstIdentity[pair]!;
    const b = pairs.secondIdentity[pair]!;
    weights[pair] = a === b ? multiplicity(a) : multiplicity(a) * multiplicity(b);
  }
  return weights;
}

/** Linear-interpolation quantile (R type 7) of ascending `sorted`. */
function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/**
 * The identity resampling shared by every bootstrap here: `next()` returns one replicate's pair
 * weights per stratum (each stratum's identities drawn with replacement, as many as it has, then
 * {@link identityBootstrapWeights}). Deterministic in `seed`; the n-th call gives the n-th replicate.
 */
export function identityResampler(strata: readonly PairIdentities[], seed: number, where: string): { next(): Float64Array[] } {
  assertArgument(strata.length > 0, 'EVAL_BAD_BOOTSTRAP', () => `${where}: no strata; give at least one set of pairs`);
  // Identities as dense slots per stratum, so that a replicate is a count per slot.
  const slotsOf = strata.map((pairs, index) => {
    assertArgument(
      pairs.firstIdentity.length === pairs.secondIdentity.length,
      'EVAL_BAD_BOOTSTRAP',
      () => `${where}: stratum ${index} has ${pairs.firstIdentity.length} first and ${pairs.secondIdentity.length} second identities`,
    );
    assertArgument(pairs.firstIdentity.length > 0, 'EVAL_BAD_BOOTSTRAP', () => `${where}: stratum ${index} has no pairs`);
    const identities = new Set<number>();
    for (let pair = 0; pair < pairs.firstIdentity.length; pair += 1) identities.add(pairs.firstIdentity[pair]!).add(pairs.secondIdentity[pair]!);
    const slot = new Map(
      Array.from(identities)
        .sort((a, b) => a - b)
        .map((identity, position) => [identity, position]),
    );
    return {
      identities: slot.size,
      first: Int32Array.from({ length: pairs.firstIdentity.length }, (_, pair) => slot.get(pairs.firstIdentity[pair]!)!),
      second: Int32Array.from({ length: pairs.secondIdentity.length }, (_, pair) => slot.get(pairs.secondIdentity[pair]!)!),
    };
  });
  const rng = new Rng(hashSeed(seed, 0xb007));
  return {
    next: () =>
      slotsOf.map(({ identities, first, second }) => {
        const counts = new Float64Array(identities);
        for (let draw = 0; draw < identities; draw += 1) counts[rng.int(identities)]! += 1;
        // identityBootstrapWeights on slots, inlined: this loop runs replicates × pairs times.
        const pairWeights = new Float64Array(first.length);
        for (let pair = 0; pair < first.length; pair += 1) {
          const a = first[pair]!;
          const b = second[pair]!;
          pairWeights[pair] = a === b ? counts[a]! : counts[a]! * counts[b]!;
        }
        return pairWeights;
      }),
  };
}

/** Checks the options shared by the bootstraps and fills their defaults. */
export function bootstrapSettings(options: BootstrapOptions, where: string): Required<BootstrapOptions> {
  const { replicates = 2000, seed, confidence = 0.95 } = options;
  assertArgument(
    Number.isInteger(replicates) && replicates >= 10,
    'EVAL_BAD_BOOTSTRAP',
    () => `${where}: replicates must be an integer ≥ 10, got ${replicates}`,
  );
  assertArgument(confidence > 0 && confidence < 1, 'EVAL_BAD_BOOTSTRAP', () => `${where}: confidence must be in (0, 1), got ${confidence}`);
  return { replicates, seed, confidence };
}

/** The percentile interval of bootstrap `values` (non-finite ones left out and counted) around `estimate`. */
export function percentileInterval(estimate: number, values: ArrayLike<number>, confidence: number, where: string): BootstrapInterval {
  const finite: number[] = [];
  for (let index = 0; index < values.length; index += 1) if (Number.isFinite(values[index])) finite.push(values[index]!);
  assertArgument(
    finite.length >= Math.max(10, values.length / 2),
    'EVAL_BAD_BOOTSTRAP',
    () =>
      `${where}: only ${finite.length} of ${values.length} replicates gave a finite statistic; too few identities or pairs for it (e.g. too few impostors for the FMR)`,
  );
  const sorted = Float64Array.from(finite).sort();
  const tail = (1 - confidence) / 2;
  const low = quantile(sorted, tail);
  const high = quantile(sorted, 1 - tail);
  const mean = finite.reduce((sum, value) => sum + value, 0) / finite.length;
  const standardError = Math.sqrt(finite.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, finite.length - 1));
  return { estimate, low, high, confidence, replicates: values.length, validReplicates: finite.length, standardError, excludesZero: low > 0 || high < 0 };
}

/**
 * A percentile bootstrap over identities (not over pairs: the pairs of one identity share its
 * difficulty, so resampling pairs would understate the uncertainty). Each stratum is one
 * verification set with its own identities (e.g. the held-out identities of one seed); every
 * replicate draws, independently per stratum, as many identities as the stratum has, with
 * replacement, and calls `statistic` with each stratum's pair weights
 * ({@link identityBootstrapWeights}). Comparing two models inside `statistic` on the same weights is
 * a paired comparison: the interval is on the difference. Replicates where `statistic` is not finite
 * are left out (and counted). Deterministic in `seed`.
 *
 * @example
 * const interval = bootstrapOverIdentities([pairs], ([weights]) => weightedFalseNonMatchRate(scores, pairs.issame, 1e-3, weights) ?? NaN, { seed: 1 });
 */
export function bootstrapOverIdentities(
  strata: readonly PairIdentities[],
  statistic: (weights: readonly Float64Array[]) => number,
  options: BootstrapOptions,
): BootstrapInterval {
  const { replicates, seed, confidence } = bootstrapSettings(options, 'bootstrapOverIdentities');
  const resampler = identityResampler(strata, seed, 'bootstrapOverIdentities');
  const estimate = statistic(strata.map((pairs) => new Float64Array(pairs.firstIdentity.length).fill(1)));
  const values = new Float64Array(replicates);
  for (let replicate = 0; replicate < replicates; replicate += 1) values[replicate] = statistic(resampler.next());
  return percentileInterval(estimate, values, confidence, 'bootstrapOverIdentities');
}
