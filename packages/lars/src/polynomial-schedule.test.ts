import { describe, expect, it } from 'vitest';
import { polynomialSchedule } from './polynomial-schedule';

describe('polynomialSchedule', () => {
  it('decays as end + (base − end)(1 − t)^power and stays at end', () => {
    const quadratic = polynomialSchedule({ base: 0.1, totalSteps: 100, power: 2 });
    // t = 0.5 → 0.1·0.25 = 0.025.
    expect(quadratic(0)).toBe(0.1);
    expect(quadratic(50)).toBeCloseTo(0.025, 15);
    expect(quadratic(100)).toBe(0);
    expect(quadratic(150)).toBe(0);
    const linear = polynomialSchedule({ base: 1, totalSteps: 10, end: 0.2 });
    // t = 0.25 → 0.2 + 0.8·0.75 = 0.8.
    expect(linear(2.5)).toBeCloseTo(0.8, 15);
    expect(linear(10)).toBeCloseTo(0.2, 15);
  });

  it('rejects totalSteps ≤ startStep', () => {
    expect(() => polynomialSchedule({ base: 1, totalSteps: 5, startStep: 5 })).toThrow(/totalSteps \(5\) must be greater than startStep \(5\)/);
  });
});
