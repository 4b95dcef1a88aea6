import { Rng } from '@bigface/backend';
import { describe, expect, it } from 'vitest';
import { areaUnderRoc } from './area-under-roc';
import { equalErrorRate } from './equal-error-rate';
import { falseNonMatchRateAtFalseMatchRate } from './false-non-match-rate-at-false-match-rate';
import { rocCurve } from './roc-curve';
import { trueAcceptRateAtFalseAcceptRate } from './true-accept-rate-at-false-accept-rate';

/** Random cosine-like scores rounded to 0.01 (so there are ties): genuine ~ N(0.5, 0.2), impostor ~ N(0, 0.15). */
function randomScores(seed: number, genuine: number, impostor: number): { scores: number[]; issame: boolean[] } {
  const rng = new Rng(seed);
  const scores: number[] = [];
  const issame: boolean[] = [];
  for (let index = 0; index < genuine + impostor; index += 1) {
    const same = rng.uniform() < genuine / (genuine + impostor);
    scores.push(Math.round((same ? rng.normal(0.5, 0.2) : rng.normal(0, 0.15)) * 100) / 100);
    issame.push(same);
  }
  return { scores, issame };
}

/** Brute force: FAR and TAR by counting, for "accept when score ≥ t". */
function ratesAt(t: number, scores: number[], issame: boolean[]): { far: number; tar: number } {
  const genuine = issame.filter(Boolean).length;
  const impostor = issame.length - genuine;
  let tp = 0;
  let fp = 0;
  scores.forEach((score, index) => {
    if (score >= t) {
      if (issame[index]) tp += 1;
      else fp += 1;
    }
  });
  return { far: fp / impostor, tar: tp / genuine };
}

const candidates = (scores: number[]): number[] => [Number.POSITIVE_INFINITY, ...new Set(scores)];

describe('rocCurve', () => {
  it('steps through the distinct scores, ties as one step (hand-computed)', () => {
    // Sorted: 0.9 g, 0.7 g, 0.7 i, 0.4 i, 0.2 g. 3 genuine, 2 impostor.
    const roc = rocCurve([0.7, 0.2, 0.9, 0.4, 0.7], [true, true, true, false, false]);
    expect(roc.thresholds).toEqual([Number.POSITIVE_INFINITY, 0.9, 0.7, 0.4, 0.2]);
    expect(roc.trueAcceptRate).toEqual([0, 1 / 3, 2 / 3, 2 / 3, 1]);
    expect(roc.falseAcceptRate).toEqual([0, 0, 0.5, 1, 1]);
  });

  it('agrees with counting at every threshold on random scores', () => {
    const { scores, issame } = randomScores(1, 200, 800);
    const roc = rocCurve(scores, issame);
    expect(roc.thresholds.length).toBe(candidates(scores).length);
    roc.thresholds.forEach((t, index) => {
      const { far, tar } = ratesAt(t, scores, issame);
      expect(roc.falseAcceptRate[index]).toBe(far);
      expect(roc.trueAcceptRate[index]).toBe(tar);
    });
  });

  it('refuses NaN scores and a single class', () => {
    expect(() => rocCurve([0.1, Number.NaN], [true, false])).toThrow(/score 1 is NaN/);
    expect(() => rocCurve([0.1, 0.2], [true, true])).toThrow(/got 2 genuine and 0 impostor/);
  });
});

describe('TAR@FAR and FNMR@FMR', () => {
  it('match a brute-force search over all thresholds on random scores', () => {
    const { scores, issame } = randomScores(2, 300, 2000);
    const rates = [1e-1, 1e-2, 1e-3];
    const tar = trueAcceptRateAtFalseAcceptRate(scores, issame, rates);
    const fnmr = falseNonMatchRateAtFalseMatchRate(scores, issame, rates);
    rates.forEach((rate, index) => {
      const best = Math.max(
        ...candidates(scores)
          .map((t) => ratesAt(t, scores, issame))
          .filter((r) => r.far <= rate)
          .map((r) => r.tar),
      );
      expect(tar[index]!.value).toBe(best);
      expect(fnmr[index]!.value).toBeCloseTo(1 - best, 15);
      expect(tar[index]!.measuredFalseMatchRate).toBeLessThanOrEqual(rate);
      expect(ratesAt(tar[index]!.threshold!, scores, issame).tar).toBe(best);
    });
  });

  it('says when there are too few impostors instead of giving a number', () => {
    const { scores, issame } = randomScores(3, 100, 900);
    const impostors = issame.filter((same) => !same).length;
    const points = falseNonMatchRateAtFalseMatchRate(scores, issame);
    expect(points.map((point) => point.falseMatchRate)).toEqual([1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]);
    expect(typeof points[1]!.value).toBe('number');
    expect(points[2]!.value).toBe(`not enough impostor pairs for FMR 1e-3 (have ${impostors}, need ≥ 1000)`);
    expect(points[5]!.value).toBe(`not enough impostor pairs for FMR 1e-6 (have ${impostors}, need ≥ 1000000)`);
    expect(points[5]!.threshold).toBeNull();
  });

  it('hand-computed: 10 impostors, FMR 0.1 allows one of them', () => {
    // Impostors 0.0 … 0.9 (step 0.1), genuine 0.95, 0.85, 0.5. Threshold 0.85 accepts impostor 0.9
    // (FAR 1/10) and genuine 0.95, 0.85 (TAR 2/3, FNMR 1/3); the next, 0.8, accepts 2 impostors (FAR 0.2).
    const scores = [...Array.from({ length: 10 }, (_, k) => k / 10), 0.95, 0.85, 0.5];
    const issame = [...Array(10).fill(false), true, true, true];
    const [point] = falseNonMatchRateAtFalseMatchRate(scores, issame, [0.1]);
    expect(point!.threshold).toBe(0.85);
    expect(point!.value).toBeCloseTo(1 / 3, 15);
  });
});

describe('areaUnderRoc', () => {
  it('equals P(genuine > impostor) + ½·P(tie) counted over all pairs', () => {
    const { scores, issame } = randomScores(4, 150, 400);
    let wins = 0;
    let pairs = 0;
    scores.forEach((g, i) => {
      if (!issame[i]) return;
      scores.forEach((s, j) => {
        if (issame[j]) return;
        pairs += 1;
        wins += g > s ? 1 : g === s ? 0.5 : 0;
      });
    });
    expect(areaUnderRoc(scores, issame)).toBeCloseTo(wins / pairs, 12);
  });

  it('is 1 for separated scores, 0.5 for all-equal scores (hand-computed)', () => {
    expect(areaUnderRoc([0.9, 0.2, 0.7, 0.4], [true, false, true, false])).toBe(1);
    expect(areaUnderRoc([0.5, 0.5, 0.5, 0.5], [true, false, true, false])).toBe(0.5);
  });
});

describe('equalErrorRate', () => {
  it('hand-computed: crossing exactly at a point, and between two points', () => {
    // 0.9 g, 0.7 i, 0.6 i, 0.4 g: at t = 0.7 FAR = 0.5 and FRR = 0.5.
    expect(equalErrorRate([0.9, 0.6, 0.7, 0.4], [true, false, false, true])).toEqual({ rate: 0.5, threshold: 0.7 });
    // 0.8 g, 0.6 i (1 g, 1 i): ROC (0,0) → (0,1) at 0.8 → (1,1) at 0.6; FAR − FRR: −1, 0 ⇒ EER 0 at 0.8.
    expect(equalErrorRate([0.8, 0.6], [true, false]).rate).toBe(0);
    // 0.5 i, 0.5 g tied: ROC (0,0) → (1,1); FAR − FRR from −1 to 1 crosses at half way: 0.5.
    expect(equalErrorRate([0.5, 0.5], [true, false]).rate).toBe(0.5);
  });

  it('lies between max_t min(FAR, FRR) and min_t max(FAR, FRR) on random scores', () => {
    for (const seed of [5, 6, 7]) {
      const { scores, issame } = randomScores(seed, 100, 300);
      const rates = candidates(scores)
        .map((t) => ratesAt(t, scores, issame))
        .map(({ far, tar }) => [far, 1 - tar] as const);
      const upper = Math.min(...rates.map(([far, frr]) => Math.max(far, frr)));
      const lower = Math.max(...rates.map(([far, frr]) => Math.min(far, frr)));
      const { rate } = equalErrorRate(scores, issame);
      expect(rate).toBeGreaterThanOrEqual(lower - 1e-12);
      expect(rate).toBeLessThanOrEqual(upper + 1e-12);
    }
  });
});
