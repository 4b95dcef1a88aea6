import { Rng } from '@bigface/backend';
import { describe, expect, it } from 'vitest';
import { falseNonMatchRateAtFalseMatchRate } from './false-non-match-rate-at-false-match-rate';
import { weightedFalseNonMatchRate } from './weighted-false-non-match-rate';

/** Scores rounded to 0.01 so that genuine and impostor scores tie: genuine ~ N(0.5, 0.2), impostor ~ N(0, 0.15). */
function randomScores(seed: number, genuine: number, impostor: number): { scores: number[]; issame: boolean[] } {
  const rng = new Rng(seed);
  const scores: number[] = [];
  const issame: boolean[] = [];
  for (let index = 0; index < genuine + impostor; index += 1) {
    const same = index < genuine;
    scores.push(Math.round((same ? rng.normal(0.5, 0.2) : rng.normal(0, 0.15)) * 100) / 100);
    issame.push(same);
  }
  return { scores, issame };
}

const unweighted = (scores: number[], issame: boolean[], rate: number) => {
  const [point] = falseNonMatchRateAtFalseMatchRate(scores, issame, [rate]);
  return typeof point!.value === 'number' ? point!.value : null;
};

describe('weightedFalseNonMatchRate', () => {
  it('counts a pair of weight w as w copies (hand-computed)', () => {
    // Impostors 0.8, 0.5, 0.1, 0.0: at FMR 0.25 the block 0.8 is accepted (1/4), 0.5 would make 2/4,
    // so genuine pairs scoring ≤ 0.5 are rejected: 0.45 of (0.9, 0.45) → FNMR 1/2; with the genuine
    // 0.45 counted three times, 3 of 4 → 0.75.
    const scores = [0.9, 0.45, 0.8, 0.5, 0.1, 0.0];
    const issame = [true, true, false, false, false, false];
    expect(weightedFalseNonMatchRate(scores, issame, 0.25)).toBe(0.5);
    expect(weightedFalseNonMatchRate(scores, issame, 0.25, [1, 3, 1, 1, 1, 1])).toBe(0.75);
    // Weight 0 on the impostor 0.5 removes it: 0.1 now breaks the target (2/3 > 0.25 … but only 3
    // impostors remain, fewer than 1/0.25 = 4: not measurable).
    expect(weightedFalseNonMatchRate(scores, issame, 0.25, [1, 1, 1, 0, 1, 1])).toBeNull();
    expect(weightedFalseNonMatchRate(scores, issame, 0.25, [1, 1, 1, 0, 1, 2])).toBe(0);
  });

  it('equals falseNonMatchRateAtFalseMatchRate with unit weights, ties included', () => {
    for (const seed of [1, 2, 3]) {
      const { scores, issame } = randomScores(seed, 300, 3000);
      for (const rate of [1e-1, 1e-2, 1e-3]) {
        expect(weightedFalseNonMatchRate(scores, issame, rate)).toBe(unweighted(scores, issame, rate));
        expect(weightedFalseNonMatchRate(scores, issame, rate, new Float64Array(scores.length).fill(1))).toBe(unweighted(scores, issame, rate));
      }
    }
  });

  it('equals falseNonMatchRateAtFalseMatchRate on the list with each pair repeated weight times (brute force)', () => {
    const rng = new Rng(9);
    for (const seed of [4, 5, 6]) {
      const { scores, issame } = randomScores(seed, 200, 1500);
      const weights = scores.map(() => rng.int(4)); // 0..3 copies
      const repeatedScores: number[] = [];
      const repeatedIssame: boolean[] = [];
      weights.forEach((weight, pair) => {
        for (let copy = 0; copy < weight; copy += 1) {
          repeatedScores.push(scores[pair]!);
          repeatedIssame.push(issame[pair]!);
        }
      });
      for (const rate of [1e-1, 1e-2, 1e-3]) {
        expect(weightedFalseNonMatchRate(scores, issame, rate, weights), `seed ${seed} FMR ${rate}`).toBe(unweighted(repeatedScores, repeatedIssame, rate));
      }
    }
  });

  it('refuses weights that do not fit', () => {
    expect(() => weightedFalseNonMatchRate([0.1, 0.2], [true, false], 0.5, [1])).toThrow(/1 weights for 2 scores/);
    expect(() => weightedFalseNonMatchRate([0.1, 0.2], [true, false], 0.5, [1, -1])).toThrow(/weight 1 is -1/);
    expect(() => weightedFalseNonMatchRate([0.1, 0.2], [true, false], 0)).toThrow(/falseMatchRate must be in \(0, 1\]/);
  });
});
