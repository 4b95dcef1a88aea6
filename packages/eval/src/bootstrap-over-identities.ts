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
  const { replicates = 2000, seed, confidence = 0.95 } = options;
  assertArgument(strata.length > 0, 'EVAL_BAD_BOOTSTRAP', () => 'bootstrapOverIdentities: no strata; give at least one set of pairs');
  assertArgument(Number.isInteger(replicates) && replicates >= 10, 'EVAL_BAD_BOOTSTRAP', () => `bootstrapOverIdentities: replicates must be an integer ≥ 10, got ${replicates}`);
  assertArgument(confidence > 0 && confidence < 1, 'EVAL_BAD_BOOTSTRAP', () => `bootstrapOverIdentities: confidence must be in (0, 1), got ${confidence}`);
  // Identities as dense slots per stratum, so that a replicate is a count per slot.
  const slotsOf = strata.map((pairs, index) => {
    assertArgument(pairs.firstIdentity.length === pairs.secondIdentity.length, 'EVAL_BAD_BOOTSTRAP', () => `bootstrapOverIdentities: stratum ${index} has ${pairs.firstIdentity.length} first and ${pairs.secondIdentity.length} second identities`);
    assertArgument(pairs.firstIdentity.length > 0, 'EVAL_BAD_BOOTSTRAP', () => `bootstrapOverIdentities: stratum ${index} has no pairs`);
    const identities = new Set<number>();
    for (let pair = 0; pair < pairs.firstIdentity.length; pair += 1) identities.add(pairs.firstIdentity[pair]!).add(pairs.secondIdentity[pair]!);
    const slot = new Map(Array.from(identities).sort((a, b) => a - b).map((identity, position) => [identity, position]));
    return {
      identities: slot.size,
      first: Int32Array.from({ length: pairs.firstIdentity.length }, (_, pair) => slot.get(pairs.firstIdentity[pair]!)!),
      second: Int32Array.from({ length: pairs.secondIdentity.length }, (_, pair) => slot.get(pairs.secondIdentity[pair]!)!),
    };
  });
  const estimate = statistic(strata.map((pairs) => new Float64Array(pairs.firstIdentity.length).fill(1)));
  const values: number[] = [];
  const rng = new Rng(hashSeed(seed, 0xb007));
  for (let replicate = 0; replicate < replicates; replicate += 1) {
    const weights = slotsOf.map(({ identities, first, second }) => {
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
    });
    const value = statistic(weights);
    if (Number.isFinite(value)) values.push(value);
  }
  assertArgument(
    values.length >= Math.max(10, replicates / 2),
    'EVAL_BAD_BOOTSTRAP',
    () => `bootstrapOverIdentities: only ${values.length} of ${replicates} replicates gave a finite statistic; too few identities or pairs for it (e.g. too few impostors for the FMR)`,
  );
  const sorted = Float64Array.from(values).sort();
  const tail = (1 - confidence) / 2;
  const low = quantile(sorted, tail);
  const high = quantile(sorted, 1 - tail);
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const standardError = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return { estimate, low, high, confidence, replicates, validReplicates: values.length, standardError, excludesZero: low > 0 || high < 0 };
}
