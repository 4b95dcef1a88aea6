import { describe, expect, it } from 'vitest';
import { cosineSchedule } from './cosine-schedule';
import { linearWarmup } from './linear-warmup';
import { polynomialSchedule } from './polynomial-schedule';

describe('linearWarmup', () => {
  it('ramps (step + 1)/warmupSteps of the wrapped rate, then hands over', () => {
    const schedule = linearWarmup(0.4, { warmupSteps: 4 });
    // 0.4·1/4, 0.4·2/4, 0.4·3/4, 0.4·4/4, then 0.4.
    expect([0, 1, 2, 3, 4, 100].map(schedule)).toEqual([0.1, 0.2, 0.30000000000000004, 0.4, 0.4, 0.4]);
    expect(linearWarmup(0.4, { warmupSteps: 0 })(0)).toBe(0.4);
  });

  it('composes with a decay that starts after the warm-up', () => {
    const schedule = linearWarmup(polynomialSchedule({ base: 1, totalSteps: 12, power: 2, startStep: 2 }), { warmupSteps: 2 });
    // Warm-up: 1/2, 2/2; then (1 − (step − 2)/10)²: step 7 → 0.25, step 12 → 0.
    expect(schedule(0)).toBe(0.5);
    expect(schedule(1)).toBe(1);
    expect(schedule(2)).toBe(1);
    expect(schedule(7)).toBeCloseTo(0.25, 15);
    expect(schedule(12)).toBe(0);
    const cosine = linearWarmup(cosineSchedule({ base: 2, totalSteps: 10, startStep: 5 }), { warmupSteps: 5 });
    expect(cosine(4)).toBe(2);
    expect(cosine(10)).toBeCloseTo(0, 15);
  });

  it('rejects a fractional warm-up length', () => {
    expect(() => linearWarmup(0.1, { warmupSteps: 2.5 })).toThrow(/warmupSteps must be an integer/);
  });
});
