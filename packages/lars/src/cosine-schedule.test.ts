import { describe, expect, it } from 'vitest';
import { cosineSchedule } from './cosine-schedule';

describe('cosineSchedule', () => {
  it('follows end + (base − end)(1 + cos πt)/2', () => {
    const schedule = cosineSchedule({ base: 0.1, totalSteps: 100, end: 0.01 });
    // t = 0 → 0.1; t = 1/2 → 0.01 + 0.09·0.5 = 0.055; t = 1/3 → 0.01 + 0.09·0.75 = 0.0775; t ≥ 1 → 0.01.
    expect(schedule(0)).toBeCloseTo(0.1, 15);
    expect(schedule(50)).toBeCloseTo(0.055, 15);
    expect(schedule(100 / 3)).toBeCloseTo(0.0775, 15);
    expect(schedule(100)).toBeCloseTo(0.01, 15);
    expect(schedule(500)).toBeCloseTo(0.01, 15);
  });

  it('rejects a negative base', () => {
    expect(() => cosineSchedule({ base: -1, totalSteps: 10 })).toThrow(/cosineSchedule: base must be/);
  });
});
