import { describe, expect, it } from 'vitest';
import { Rng, hashSeed } from './random';

describe('Rng (xoshiro128**)', () => {
  it('matches the reference C implementation from state {1,2,3,4}', () => {
    // Expected values printed by Vigna's xoshiro128starstar.c (gcc -O2) seeded with s = {1, 2, 3, 4}:
    // the first 8 outputs, then output number 1001.
    const rng = new Rng({ algorithm: 'xoshiro128**', state: [1, 2, 3, 4] });
    const first = Array.from({ length: 8 }, () => rng.nextUint32());
    expect(first).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
    for (let i = 0; i < 992; i++) rng.nextUint32();
    expect(rng.nextUint32()).toBe(136054147);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 16 }, () => a.next());
    expect(Array.from({ length: 16 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 16 }, () => c.next())).not.toEqual(sa);
    expect(new Rng('run-a').nextUint32()).toBe(new Rng('run-a').nextUint32());
    expect(new Rng('run-a').nextUint32()).not.toBe(new Rng('run-b').nextUint32());
  });

  it('resumes exactly from a saved state', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 100; i++) rng.next();
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    const continued = Array.from({ length: 10 }, () => rng.normal());
    const restored = new Rng(saved);
    expect(Array.from({ length: 10 }, () => restored.normal())).toEqual(continued);
  });

  it('derives per-key streams independent of the order they are made in', () => {
    const x = Rng.derive(1, 3, 5).nextUint32();
    Rng.derive(1, 3, 4).nextUint32();
    expect(Rng.derive(1, 3, 5).nextUint32()).toBe(x);
    expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 1));
    expect(hashSeed(2 ** 40)).not.toBe(hashSeed(0));
  });

  it('has the right moments (uniform, normal) within 5 standard errors', () => {
    const rng = new Rng(123);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let uniformSum = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal(2, 3);
      sum += z;
      sumSq += z * z;
      uniformSum += rng.next();
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    // SE of the mean = 3/sqrt(n) ≈ 0.0067; SE of the variance ≈ 9*sqrt(2/n) ≈ 0.028.
    expect(Math.abs(mean - 2)).toBeLessThan(5 * 0.0067);
    expect(Math.abs(variance - 9)).toBeLessThan(5 * 0.028);
    // Uniform mean 0.5, SE = sqrt(1/12/n) ≈ 0.00065.
    expect(Math.abs(uniformSum / n - 0.5)).toBeLessThan(5 * 0.00065);
  });

  it('int() is unbiased over a non-power-of-two range (chi-square, 6 bins)', () => {
    const rng = new Rng(9);
    const counts = new Array(6).fill(0);
    const n = 60_000;
    for (let i = 0; i < n; i++) counts[rng.int(6)]++;
    const expected = n / 6;
    const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    // 5 degrees of freedom: P(chi2 > 20.5) ≈ 0.001.
    expect(chi2).toBeLessThan(20.5);
  });

  it('permutation() is a permutation and shuffle keeps the elements', () => {
    const p = Array.from(new Rng(5).permutation(1000)).sort((a, b) => a - b);
    expect(p).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('rejects bad seeds and states with a clear error', () => {
    expect(() => new Rng(1.5)).toThrow(/seed must be an integer/);
    expect(() => new Rng({ algorithm: 'xoshiro128**', state: [0, 0, 0, 0] })).toThrow(/not all zero/);
    expect(() => new Rng(1).int(0)).toThrow(/maxExclusive/);
    expect(() => new Rng(1).choice([])).toThrow(/empty/);
  });
});
