import type { RngState } from '@bigface/backend';
import { saveCheckpoint, type CheckpointState } from './checkpoint-files';
import type { TrainConfig } from './config';
import type { Trainer, TrainerCallback } from './trainer';
import type { TrainEvent } from './train-events';

/** The checkpoint callback: {@link checkpointer}'s return value. */
export interface Checkpointer extends TrainerCallback {
  /** The newest checkpoint directory written (or resumed from), or null. */
  readonly last: string | null;
}

/**
 * Checkpoint callback: writes a checkpoint (collective, atomic) every `everySteps` steps before the
 * last, and at the end of the run (completed or stopped) unless the last step was just saved.
 * `position` gives the data sampler's position after the step (where a resumed run continues).
 *
 * @example
 * const saver = checkpointer({ outputDir, everySteps: 1000, keepLast: 2, totalSteps, config, position: () => position, emit, resumedFrom: null });
 */
export function checkpointer(options: {
  outputDir: string;
  everySteps: number;
  keepLast: number;
  totalSteps: number;
  config: TrainConfig;
  position: () => { epoch: number; step: number; offset?: number };
  emit: (event: TrainEvent) => void;
  /** The checkpoint a resumed run started from (counts as saved at its step). */
  resumedFrom: string | null;
  resumedStep: number;
}): Checkpointer {
  let last = options.resumedFrom;
  let savedStep = options.resumedFrom !== null ? options.resumedStep : -1;
  const save = async (trainer: Trainer) => {
    const started = performance.now();
    const step = trainer.stepsDone;
    const state: Omit<CheckpointState, 'format' | 'savedAt'> = {
      step,
      position: options.position(),
      rng: trainer.rngState() as RngState,
      partialFCStep: trainer.head.currentStep,
      optimizerIterations: trainer.optimizer.iterations,
      worldSize: trainer.communicator.worldSize,
      globalBatch: options.config.batch.perRank * trainer.communicator.worldSize,
      numClasses: trainer.head.numClasses,
      config: options.config,
    };
    last = await saveCheckpoint(options.outputDir, trainer, state, options.keepLast);
    savedStep = step;
    options.emit({ type: 'checkpoint', step, path: last, seconds: (performance.now() - started) / 1000 });
  };
  return {
    get last() {
      return last;
    },
    async onStep(result, trainer) {
      if (options.everySteps > 0 && result.step % options.everySteps === 0 && result.step < options.totalSteps) await save(trainer);
    },
    async onEnd(_summary, trainer) {
      if (savedStep !== trainer.stepsDone || last === null) await save(trainer);
    },
  };
}
