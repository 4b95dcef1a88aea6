import type { TrainConfig } from './config';

/** What may differ between a checkpoint's configuration and the run that resumes it. */
const MAY_CHANGE = [
  'outputDir',
  'name',
  'testing',
  'schedule.steps',
  'distributed',
  'batch',
  'backend',
  'precision',
  'log',
  'data.workers',
  'checkpoint',
  'evaluation',
] as const;

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else if (value !== undefined) {
    out.set(prefix, JSON.stringify(value));
  }
}

/**
 * The settings a resumed run changed that a checkpoint cannot carry over (the model, the loss, the
 * data, the optimizer, the schedule in epochs, the seed, distillation), as `key: saved → now` lines.
 * Everything about placement may change: world size, launcher, communicator, ZeRO, batch per rank
 * and micro-batches (the global batch, and with it the learning rate, follows), the backend, logging,
 * checkpoints, evaluation, `schedule.steps`.
 *
 * @example
 * resumeIncompatibilities(saved, { ...saved, model: { ...saved.model, layers: [2, 2, 2, 2] } });
 * // ['model.layers: [1,1,1,1] in the checkpoint, [2,2,2,2] now']
 */
export function resumeIncompatibilities(saved: TrainConfig, now: TrainConfig): string[] {
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  flatten(saved, '', before);
  flatten(now, '', after);
  const free = (key: string) => MAY_CHANGE.some((prefix) => key === prefix || key.startsWith(`${prefix}.`));
  const keys = [...new Set([...before.keys(), ...after.keys()])].filter((key) => !free(key)).sort();
  return keys
    .filter((key) => before.get(key) !== after.get(key))
    .map((key) => `${key}: ${before.get(key) ?? 'unset'} in the checkpoint, ${after.get(key) ?? 'unset'} now`);
}
