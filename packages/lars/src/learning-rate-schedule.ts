import { assertArgument } from '@bigface/backend';

/**
 * A learning-rate schedule: a pure function of the step (0 for the first step) to the learning
 * rate. Schedules hold no state, so resuming at step k is just calling `schedule(k)`; they compose
 * by wrapping (e.g. `linearWarmup(cosineSchedule(...))`).
 */
export type LearningRateSchedule = (step: number) => number;

/** Throws INVALID_ARGUMENT unless `step` is a finite number ≥ 0. */
export function assertStep(op: string, step: number): void {
  assertArgument(
    typeof step === 'number' && Number.isFinite(step) && step >= 0,
    'INVALID_ARGUMENT',
    () => `${op}: step must be a finite number ≥ 0, got ${String(step)}`,
  );
}

/** Throws INVALID_ARGUMENT unless `value` is a finite number ≥ `minimum` (> when `strict`). */
export function assertNumber(op: string, name: string, value: unknown, minimum: number, strict = false): asserts value is number {
  assertArgument(
    typeof value === 'number' && Number.isFinite(value) && (strict ? value > minimum : value >= minimum),
    'INVALID_ARGUMENT',
    () => `${op}: ${name} must be a finite number ${strict ? '>' : '≥'} ${minimum}, got ${String(value)}`,
  );
}
