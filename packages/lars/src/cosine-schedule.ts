import { assertArgument } from '@bigface/backend';
import { assertNumber, assertStep, type LearningRateSchedule } from './learning-rate-schedule';

export interface CosineScheduleOptions {
  /** Learning rate at `startStep`. */
  base: number;
  /** Step at which the rate reaches `end` and stays. */
  totalSteps: number;
  /** Final learning rate. Default 0. */
  end?: number;
  /** Step at which the decay starts (the rate is `base` before it), e.g. the warm-up length. Default 0. */
  startStep?: number;
}

/**
 * Cosine decay without restarts ([Loshchilov & Hutter 2017](https://arxiv.org/abs/1608.03983)):
 * with t = clamp((step − startStep) / (totalSteps − startStep), 0, 1), the rate is
 * `end + (base − end) · (1 + cos(π t)) / 2`.
 *
 * @example
 * const schedule = cosineSchedule({ base: 0.1, totalSteps: 100 });
 * [schedule(0), schedule(50), schedule(100)]; // [0.1, 0.05, 0]
 */
export function cosineSchedule(options: CosineScheduleOptions): LearningRateSchedule {
  const { base, totalSteps, end = 0, startStep = 0 } = options;
  assertNumber('cosineSchedule', 'base', base, 0);
  assertNumber('cosineSchedule', 'end', end, 0);
  assertNumber('cosineSchedule', 'startStep', startStep, 0);
  assertNumber('cosineSchedule', 'totalSteps', totalSteps, 0);
  assertArgument(totalSteps > startStep, 'INVALID_ARGUMENT', () => `cosineSchedule: totalSteps (${totalSteps}) must be greater than startStep (${startStep})`);
  return (step: number) => {
    assertStep('cosineSchedule', step);
    const t = Math.min(1, Math.max(0, (step - startStep) / (totalSteps - startStep)));
    return end + ((base - end) * (1 + Math.cos(Math.PI * t))) / 2;
  };
}
