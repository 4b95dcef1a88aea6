import { assertArgument } from '@bigface/backend';
import { assertNumber, assertStep, type LearningRateSchedule } from './learning-rate-schedule';

export interface LinearWarmupOptions {
  /** Number of warm-up steps; from this step on, the wrapped schedule runs unchanged. */
  warmupSteps: number;
}

/**
 * Linear warm-up ([Goyal et al. 2017](https://arxiv.org/abs/1706.02677)) in front of any schedule
 * (or a constant): for step < warmupSteps the rate is `schedule(step) · (step + 1) / warmupSteps`,
 * so the first step already moves (1/warmupSteps of the rate) and step warmupSteps − 1 reaches the
 * full rate; afterwards it is `schedule(step)`. The wrapped schedule sees the global step, so
 * multi-step milestones keep their meaning; give polynomial/cosine decay `startStep: warmupSteps`
 * to decay over the steps after the warm-up.
 *
 * @example
 * const schedule = linearWarmup(multiStepSchedule({ base: 0.01, milestones: [7] }), { warmupSteps: 3 });
 * [0, 1, 2, 3, 7].map(schedule); // [0.00333, 0.00667, 0.01, 0.01, 0.001]
 */
export function linearWarmup(schedule: LearningRateSchedule | number, options: LinearWarmupOptions): LearningRateSchedule {
  const { warmupSteps } = options;
  assertNumber('linearWarmup', 'warmupSteps', warmupSteps, 0);
  assertArgument(Number.isInteger(warmupSteps), 'INVALID_ARGUMENT', () => `linearWarmup: warmupSteps must be an integer, got ${warmupSteps}`);
  if (typeof schedule === 'number') assertNumber('linearWarmup', 'schedule', schedule, 0);
  else assertArgument(typeof schedule === 'function', 'INVALID_ARGUMENT', () => 'linearWarmup: schedule must be a function of the step or a number');
  const inner: LearningRateSchedule = typeof schedule === 'number' ? () => schedule : schedule;
  return (step: number) => {
    assertStep('linearWarmup', step);
    const rate = inner(step);
    return step < warmupSteps ? (rate * (step + 1)) / warmupSteps : rate;
  };
}
