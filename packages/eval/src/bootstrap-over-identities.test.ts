import { Rng } from '@bigface/backend';
import { describe, expect, it } from 'vitest';
import { bootstrapOverIdentities, identityBootstrapWeights } from './bootstrap-over-identities';
import { falseNonMatchRateAtFalseMatchRate } from './false-non-match-rate-at-false-match-rate';
import { sampleIdentityPairs } from './sample-identity-pairs';
import { weightedFalseNonMatchRate } from './weighted-false-non-match-rate';

/** One genuine "pair" per identity 0..n−1 (a per-identity value to average). */
function onePairPerIdentity(n: number) {
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  return { firstIdentity: ids, secondIdentity: ids };
}

/**
 * A population with identity effects, as real verification sets have: identity i's faces all share
 * a difficulty d_i ~ N(0, 0.25) that lowers its genuine scores, so its genuine pairs fail together.
 * Genuine score = 0.55 − d_i + N(0, 0.1), impostor = N(0, 0.12) (+ 0.1 when either face is of a
 * "look-alike" identity, 20 %, so impostors cluster by identity too).
 */
function population(seed: number, identities: number, facesPerIdentity: number, impostors: number) {
  const rng = new Rng(seed);
  const labels = Int32Array.from({ length: identities * facesPerIdentity }, (_, face) => Math.floor(face / facesPerIdentity));
  const difficulty = Array.from({ length: identities }, () => rng.normal(0, 0.25));
  const lookalike = Array.from({ length: identities }, () => rng.bernoulli(0.2));
  const pairs = sampleIdentityPairs(labels, { impostors, seed });
  const scores = pairs.issame.map((same, p) => {
    const a = pairs.firstIdentity[p]!;
    const b = pairs.secondIdentity[p]!;
    return same ? 0.55 - Math.abs(difficulty[a]!) + rng.normal(0, 0.1) : rng.normal(0, 0.12) + (lookalike[a] || lookalike[b] ? 0.1 : 0);
  });
  return { pairs, scores };
}

describe('identityBootstrapWeights', () => {
  it('weights genuine pairs by the identity count and impostors by the product (hand-computed)', () => {
    // Identity 0 drawn twice, 1 three times, 2 never.
    const weights = identityBootstrapWeights({ firstIdentity: [0, 1, 0, 1, 2], secondIdentity: [0, 1, 1, 2, 2] }, (id) => [2, 3, 0][id]!);
    expect(Array.from(weights)).toEqual([2, 3, 6, 0, 0]);
  });
});

describe('bootstrapOverIdentities', () => {
  it('draws a multiset of identities per replicate: n draws in all, pair weights consistent with it', () => {
    const labels = Array.from({ length: 40 }, (_, face) => face % 10); // 10 identities × 4 faces
    const pairs = sampleIdentityPairs(labels, { impostors: 200, seed: 2 });
    let checked = 0;
    bootstrapOverIdentities(
      [pairs],
      ([weights]) => {
        // Read each identity's count off its genuine pairs, then check every pair against it.
        const count = new Map<number, number>();
        pairs.issame.forEach((same, p) => {
          if (same) count.set(pairs.firstIdentity[p]!, weights![p]!);
        });
        expect([...count.values()].reduce((a, b) => a + b, 0)).toBe(10);
        pairs.issame.forEach((same, p) => {
          const expected = same ? count.get(pairs.firstIdentity[p]!)! : count.get(pairs.firstIdentity[p]!)! * count.get(pairs.secondIdentity[p]!)!;
          expect(weights![p]).toBe(expected);
        });
        checked += 1;
        return 0;
      },
      { replicates: 20, seed: 3 },
    );
    expect(checked).toBe(21); // the estimate (all weights 1) and 20 replicates
  });

  it('each replicate of FNMR equals FNMR on the resampled population built by copying identities (brute force)', () => {
    const { pairs, scores } = population(5, 30, 4, 600);
    const rng = new Rng(11);
    // Independent formulation: draw identities, copy each drawn identity's pairs with every drawn copy of the other.
    const bruteForce = (draw: number[]) => {
      const copies = new Map<number, number>();
      for (const identity of draw) copies.set(identity, (copies.get(identity) ?? 0) + 1);
      const s: number[] = [];
      const same: boolean[] = [];
      pairs.issame.forEach((issame, p) => {
        const a = copies.get(pairs.firstIdentity[p]!) ?? 0;
        const b = copies.get(pairs.secondIdentity[p]!) ?? 0;
        const times = issame ? a : a * b;
        for (let k = 0; k < times; k += 1) {
          s.push(scores[p]!);
          same.push(issame);
        }
      });
      const [point] = falseNonMatchRateAtFalseMatchRate(s, same, [1e-2]);
      return point!.value;
    };
    for (let trial = 0; trial < 5; trial += 1) {
      const draw = Array.from({ length: 30 }, () => rng.int(30));
      const counts = new Map<number, number>();
      for (const identity of draw) counts.set(identity, (counts.get(identity) ?? 0) + 1);
      const weights = identityBootstrapWeights(pairs, (identity) => counts.get(identity) ?? 0);
      expect(weightedFalseNonMatchRate(scores, pairs.issame, 1e-2, weights)).toBe(bruteForce(draw));
    }
  });

  it('gives the closed-form standard error of a mean over identities, and of a mean of two strata', () => {
    // Statistic: the mean of x_i over the resampled identities = Σ m_i x_i / n. Its bootstrap
    // variance is the plug-in σ̂²/n with σ̂² = (1/n) Σ (x_i − x̄)².
    const rng = new Rng(21);
    const x = Array.from({ length: 50 }, () => rng.normal(3, 2));
    const y = Array.from({ length: 80 }, () => rng.normal(-1, 1));
    const plugIn = (values: number[]) => {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length / values.length;
    };
    const meanOf = (values: number[], weights: Float64Array) => values.reduce((sum, value, i) => sum + weights[i]! * value, 0) / values.length;
    const one = bootstrapOverIdentities([onePairPerIdentity(50)], ([w]) => meanOf(x, w!), { replicates: 4000, seed: 1 });
    expect(one.estimate).toBeCloseTo(x.reduce((a, b) => a + b, 0) / 50, 12);
    expect(one.standardError / Math.sqrt(plugIn(x))).toBeGreaterThan(0.95);
    expect(one.standardError / Math.sqrt(plugIn(x))).toBeLessThan(1.05);
    // 95 % percentile interval of a near-normal statistic: about estimate ± 1.96 SE.
    expect((one.high - one.low) / (2 * 1.96 * Math.sqrt(plugIn(x)))).toBeCloseTo(1, 1);
    // Two strata resampled independently: Var((x̄* + ȳ*)/2) = (σ̂x²/nx + σ̂y²/ny)/4.
    const two = bootstrapOverIdentities([onePairPerIdentity(50), onePairPerIdentity(80)], ([wx, wy]) => (meanOf(x, wx!) + meanOf(y, wy!)) / 2, {
      replicates: 4000,
      seed: 2,
    });
    const expected = Math.sqrt((plugIn(x) + plugIn(y)) / 4);
    expect(two.standardError / expected).toBeGreaterThan(0.95);
    expect(two.standardError / expected).toBeLessThan(1.05);
  });

  it('matches the true sampling spread of FNMR@FMR when identities carry shared difficulty (Monte Carlo)', () => {
    // Truth: FNMR@FMR=1e-2 over 80 fresh populations of 60 identities. Bootstrap: the mean standard
    // error over 6 of them. Resampling pairs instead of identities would ignore the shared difficulty
    // and come out too small; resampling identities must land near the truth.
    const identities = 60;
    const fnmr = (seed: number) => {
      const { pairs, scores } = population(1000 + seed, identities, 5, 3000);
      return { pairs, scores, value: weightedFalseNonMatchRate(scores, pairs.issame, 1e-2)! };
    };
    const truth = Array.from({ length: 80 }, (_, seed) => fnmr(seed).value);
    const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
    const trueStandardError = Math.sqrt(truth.reduce((a, b) => a + (b - mean) ** 2, 0) / (truth.length - 1));
    const bootstrapErrors = [0, 1, 2, 3, 4, 5].map((seed) => {
      const { pairs, scores } = fnmr(seed);
      return bootstrapOverIdentities([pairs], ([w]) => weightedFalseNonMatchRate(scores, pairs.issame, 1e-2, w) ?? Number.NaN, { replicates: 300, seed })
        .standardError;
    });
    const ratio = bootstrapErrors.reduce((a, b) => a + b, 0) / bootstrapErrors.length / trueStandardError;
    expect(ratio).toBeGreaterThan(0.75);
    expect(ratio).toBeLessThan(1.35);
    // The pair-level binomial error √(p(1−p)/genuine) is much smaller than the truth here.
    const genuine = fnmr(0).pairs.issame.filter(Boolean).length;
    expect(Math.sqrt((mean * (1 - mean)) / genuine)).toBeLessThan(0.6 * trueStandardError);
  });

  it('is deterministic in the seed and refuses bad options', () => {
    const strata = [onePairPerIdentity(20)];
    const values = Array.from({ length: 20 }, (_, i) => i);
    const statistic = ([w]: readonly Float64Array[]) => values.reduce((sum, value, i) => sum + w![i]! * value, 0);
    expect(bootstrapOverIdentities(strata, statistic, { replicates: 50, seed: 7 })).toEqual(
      bootstrapOverIdentities(strata, statistic, { replicates: 50, seed: 7 }),
    );
    expect(() => bootstrapOverIdentities([], statistic, { seed: 1 })).toThrow(/no strata/);
    expect(() => bootstrapOverIdentities(strata, statistic, { seed: 1, replicates: 5 })).toThrow(/replicates must be an integer ≥ 10/);
    expect(() => bootstrapOverIdentities(strata, statistic, { seed: 1, confidence: 95 })).toThrow(/confidence must be in \(0, 1\)/);
    expect(() => bootstrapOverIdentities(strata, () => Number.NaN, { seed: 1, replicates: 20 })).toThrow(/only 0 of 20 replicates/);
  });
});
