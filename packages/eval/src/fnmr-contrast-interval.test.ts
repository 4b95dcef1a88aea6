import { Rng } from '@bigface/backend';
import { describe, expect, it } from 'vitest';
import { claimVerdict } from './claim-verdict';
import { falseNonMatchRateAtFalseMatchRate } from './false-non-match-rate-at-false-match-rate';
import { bootstrapFalseNonMatchRates, fnmrContrastInterval } from './fnmr-contrast-interval';
import { sampleIdentityPairs } from './sample-identity-pairs';

/**
 * Two models scored on the same pairs of one population. Identity i has difficulty d_i ~ |N(0, 0.3)|
 * shared by both models (the same person is hard for both); model B's genuine scores are model A's
 * plus `gain` plus its own small noise. So B − A is known: B is better exactly when gain > 0.
 */
function twoModels(seed: number, gain: number, identities = 80) {
  const rng = new Rng(seed);
  const labels = Int32Array.from({ length: identities * 5 }, (_, face) => Math.floor(face / 5));
  const difficulty = Array.from({ length: identities }, () => Math.abs(rng.normal(0, 0.3)));
  const pairs = sampleIdentityPairs(labels, { impostors: 4000, seed });
  const a: number[] = [];
  const b: number[] = [];
  pairs.issame.forEach((same, p) => {
    const base = same ? 0.6 - difficulty[pairs.firstIdentity[p]!]! + rng.normal(0, 0.1) : rng.normal(0, 0.12);
    a.push(base);
    b.push(base + (same ? gain : 0) + rng.normal(0, 0.02));
  });
  return { ...pairs, scores: { a, b } };
}

const fnmrOf = (scores: number[], issame: boolean[], rate: number) => falseNonMatchRateAtFalseMatchRate(scores, issame, [rate])[0]!.value as number;

describe('fnmrContrastInterval', () => {
  it('reads one model (coefficient 1) as its FNMR and two identical models as exactly 0', () => {
    const set = twoModels(1, 0.1);
    const one = fnmrContrastInterval([set], { a: 1 }, { falseMatchRate: 1e-2, seed: 1, replicates: 200 });
    expect(one.estimate).toBe(fnmrOf(set.scores.a, set.issame, 1e-2));
    expect(one.low).toBeLessThan(one.estimate);
    expect(one.high).toBeGreaterThan(one.estimate);
    const same = fnmrContrastInterval(
      [{ ...set, scores: { a: set.scores.a, copy: [...set.scores.a] } }],
      { a: 1, copy: -1 },
      { falseMatchRate: 1e-2, seed: 1, replicates: 200 },
    );
    expect([same.estimate, same.low, same.high, same.excludesZero]).toEqual([0, 0, 0, false]);
  });

  it('shows a real gain and not a null one (seeded synthetic populations where the answer is known)', () => {
    const better = twoModels(2, 0.08);
    const gain = fnmrContrastInterval([better], { b: 1, a: -1 }, { falseMatchRate: 1e-2, seed: 2, replicates: 400 });
    expect(gain.estimate).toBe(fnmrOf(better.scores.b, better.issame, 1e-2) - fnmrOf(better.scores.a, better.issame, 1e-2));
    expect(gain.high).toBeLessThan(0);
    expect(claimVerdict(gain, 'lower')).toEqual({ shown: true, status: 'shown' });
    expect(claimVerdict(gain, 'higher')).toEqual({ shown: false, status: 'opposite' });
    // No gain: over 40 populations the 90 % interval must contain 0 about 90 % of the time.
    let covered = 0;
    for (let seed = 0; seed < 40; seed += 1) {
      const interval = fnmrContrastInterval([twoModels(100 + seed, 0, 40)], { b: 1, a: -1 }, { falseMatchRate: 1e-2, seed, replicates: 150, confidence: 0.9 });
      if (!interval.excludesZero) covered += 1;
    }
    expect(covered).toBeGreaterThanOrEqual(32);
  });

  it('is paired: the shared identity difficulty cancels, so the difference is far tighter than its parts', () => {
    const set = twoModels(3, 0.03);
    const options = { falseMatchRate: 1e-2, seed: 3, replicates: 400 };
    const difference = fnmrContrastInterval([set], { b: 1, a: -1 }, options);
    const a = fnmrContrastInterval([set], { a: 1 }, options);
    const b = fnmrContrastInterval([set], { b: 1 }, options);
    // Unpaired (independent) intervals would combine as √(SEa² + SEb²).
    expect(difference.standardError).toBeLessThan(0.5 * Math.hypot(a.standardError, b.standardError));
  });

  it('averages the contrast over strata (one per seed)', () => {
    const first = twoModels(4, 0.05);
    const second = twoModels(5, 0.05);
    const both = fnmrContrastInterval([first, second], { b: 1, a: -1 }, { falseMatchRate: 1e-2, seed: 4, replicates: 100 });
    const per = [first, second].map((set) => fnmrOf(set.scores.b, set.issame, 1e-2) - fnmrOf(set.scores.a, set.issame, 1e-2));
    expect(both.estimate).toBeCloseTo((per[0]! + per[1]!) / 2, 12);
  });

  it('reads every contrast of several models off one shared resampling, equal to one contrast at a time', () => {
    const first = twoModels(7, 0.05);
    const second = twoModels(8, 0.05);
    const sets = [first, second].map((set) => ({ ...set, scores: { ...set.scores, c: set.scores.a.map((score, p) => score + (set.issame[p] ? 0.02 : 0)) } }));
    const boot = bootstrapFalseNonMatchRates(sets, { falseMatchRates: [1e-2, 1e-1], seed: 9, replicates: 100 });
    expect(boot.names).toEqual(['a', 'b', 'c']);
    const contrasts: Record<string, number>[] = [{ b: 1, a: -1 }, { c: 1 }, { a: 0.5, b: 0.5, c: -1 }];
    for (const contrast of contrasts) {
      for (const rate of [1e-2, 1e-1]) {
        // Same seed and replicate count: the same identity draws, so the same interval.
        expect(boot.interval(contrast, rate)).toEqual(fnmrContrastInterval(sets, contrast, { falseMatchRate: rate, seed: 9, replicates: 100 }));
      }
    }
    expect(boot.estimate('a', 1e-2)).toBeCloseTo((fnmrOf(first.scores.a, first.issame, 1e-2) + fnmrOf(second.scores.a, second.issame, 1e-2)) / 2, 12);
    expect(() => boot.interval({ d: 1 }, 1e-2)).toThrow(/no scores 'd'; bootstrapped names are a, b, c/);
    expect(() => boot.interval({ a: 1 }, 1e-3)).toThrow(/FMR 0.001 was not bootstrapped; choose one of 0.01, 0.1/);
  });

  it('names a missing model and refuses an empty contrast', () => {
    const set = twoModels(6, 0);
    expect(() => fnmrContrastInterval([set], { c: 1 }, { falseMatchRate: 1e-2, seed: 1 })).toThrow(/set 0 has no scores 'c'; it has a, b/);
    expect(() => fnmrContrastInterval([set], {}, { falseMatchRate: 1e-2, seed: 1 })).toThrow(/the contrast is empty/);
  });
});

describe('claimVerdict', () => {
  it('shows a claim only when the whole interval is on the claimed side of zero', () => {
    expect(claimVerdict({ low: -0.08, high: -0.01 }, 'lower')).toEqual({ shown: true, status: 'shown' });
    expect(claimVerdict({ low: -0.08, high: 0.02 }, 'lower')).toEqual({ shown: false, status: 'not shown' });
    expect(claimVerdict({ low: -0.08, high: 0 }, 'lower')).toEqual({ shown: false, status: 'not shown' });
    expect(claimVerdict({ low: 0.01, high: 0.05 }, 'lower')).toEqual({ shown: false, status: 'opposite' });
    expect(claimVerdict({ low: 0.01, high: 0.05 }, 'higher')).toEqual({ shown: true, status: 'shown' });
    expect(() => claimVerdict({ low: Number.NaN, high: 0 }, 'lower')).toThrow(/not a finite interval/);
  });
});
