import { assertArgument } from '@bigface/backend';
import { assertNumber, assertStep, type LearningRateSchedule } from './learning-rate-schedule';

export interface PolynomialScheduleOptions {
  /** Learning rate at `startStep`. */
  base: number;
  /** Step at which the rate reaches `end` and stays. */
  totalSteps: number;
  /** Exponent of the decay. Default 1 (linear); insightface's arcface_torch PolyScheduler uses 2. */
  power?: number;
  /** Final learning rate. Default 0. */
  end?: number;
  /** Step at which the decay starts (the rate is `base` before it), e.g. the warm-up length. Default 0. */
  startStep?: number;
}

/**
 * Polynomial decay: with t = clamp((step − startStep) / (totalSteps − startStep), 0, 1),
 * the rate is `end + (base − end) · (1 − t)^power`.
 *
 * @example
 * const schedule = polynomialSchedule({ base: 0.1, totalSteps: 100, power: 2 });
 * [schedule(0), schedule(50), schedule(100)]; // [0.1, 0.025, 0]
 */
export function polynomialSchedule(options: PolynomialScheduleOptions): LearningRateSchedule {
  const { base, totalSteps, power = 1, end = 0, startStep = 0 } = options;
  assertNumber('polynomialSchedule', 'base', base, 0);
  assertNumber('polynomialSchedule', 'power', power, 0);
  assertNumber('polynomialSchedule', 'end', end, 0);
  assertNumber('polynomialSchedule', 'startStep', startStep, 0);
  assertNumber('polynomialSchedule', 'totalSteps', totalSteps, 0);
  assertArgument(
    totalSteps > startStep,
    'INVALID_ARGUMENT',
    () => `polynomialSchedule: totalSteps (${totalSteps}) must be greater than startStep (${startStep})`,
  );
  return (step: number) => {
    assertStep('polynomialSchedule', step);
    const t = Math.min(1, Math.max(0, (step - startStep) / (totalSteps - startStep)));
    return end + (base - end) * (1 - t) ** power;
  };
}
