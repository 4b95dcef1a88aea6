import { assertArgument } from '@bigface/backend';
import { assertNumber, assertStep, type LearningRateSchedule } from './learning-rate-schedule';

export interface MultiStepScheduleOptions {
  /** Learning rate before the first milestone. */
  base: number;
  /** Steps at which the rate is multiplied by `gamma`, ascending. */
  milestones: readonly number[];
  /** Factor applied at each milestone. Default 0.1. */
  gamma?: number;
}

/**
 * Step decay: `base · gamma^k` where k is the number of milestones ≤ step — the BigFace recipe's
 * schedule (like PyTorch's `MultiStepLR`, counted in steps).
 *
 * @example
 * const schedule = multiStepSchedule({ base: 0.1, milestones: [10, 20], gamma: 0.1 });
 * [schedule(0), schedule(10), schedule(25)]; // [0.1, 0.01, 0.001]
 */
export function multiStepSchedule(options: MultiStepScheduleOptions): LearningRateSchedule {
  const { base, milestones, gamma = 0.1 } = options;
  assertNumber('multiStepSchedule', 'base', base, 0);
  assertNumber('multiStepSchedule', 'gamma', gamma, 0);
  assertArgument(Array.isArray(milestones), 'INVALID_ARGUMENT', () => 'multiStepSchedule: milestones must be an array of steps');
  milestones.forEach((milestone, i) => {
    assertNumber('multiStepSchedule', `milestones[${i}]`, milestone, 0);
    assertArgument(
      i === 0 || milestone > (milestones[i - 1] as number),
      'INVALID_ARGUMENT',
      () => `multiStepSchedule: milestones must be strictly ascending, got [${milestones.join(', ')}]`,
    );
  });
  const sorted = [...milestones];
  return (step: number) => {
    assertStep('multiStepSchedule', step);
    let passed = 0;
    while (passed < sorted.length && (sorted[passed] as number) <= step) passed++;
    return base * gamma ** passed;
  };
}
