import { describe, expect, it } from 'vitest';
import { multiStepSchedule } from './multi-step-schedule';

describe('multiStepSchedule', () => {
  it('multiplies by gamma at each milestone reached', () => {
    const schedule = multiStepSchedule({ base: 0.1, milestones: [10, 20], gamma: 0.5 });
    // 0.1 before 10, 0.05 on [10, 20), 0.025 from 20.
    expect([0, 9, 10, 19, 20, 1000].map(schedule)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(multiStepSchedule({ base: 0.2, milestones: [] })(5)).toBe(0.2);
    expect(multiStepSchedule({ base: 1, milestones: [3] })(3)).toBeCloseTo(0.1, 15); // default gamma 0.1
  });

  it('rejects unsorted milestones and bad steps', () => {
    expect(() => multiStepSchedule({ base: 0.1, milestones: [20, 10] })).toThrow(/milestones must be strictly ascending/);
    expect(() => multiStepSchedule({ base: 0.1, milestones: [-1] })).toThrow(/milestones\[0\] must be/);
    expect(() => multiStepSchedule({ base: 0.1, milestones: [1] })(-1)).toThrow(/multiStepSchedule: step must be/);
  });
});
