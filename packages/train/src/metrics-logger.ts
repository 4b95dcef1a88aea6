import { appendFileSync } from 'node:fs';
import { tf } from '@bigface/backend';
import type { TrainerCallback } from './trainer';
import type { MemoryUsage, TrainEvent } from './train-events';

function memoryUsage(): MemoryUsage {
  const memory = tf.memory();
  return { tensors: memory.numTensors, tensorBytes: memory.numBytes, residentBytes: process.memoryUsage().rss };
}

/**
 * Logging callback (arcface_torch's CallBackLogging): every `everySteps` steps and at the last one,
 * rank 0 appends a line to `metricsPath` and emits a `step` event with the loss, accuracy, learning
 * rate, throughput (global batch over the wall time since the previous step ended, data loading
 * included) and memory.
 *
 * @example
 * createTrainer({ ..., callbacks: [metricsLogger({ metricsPath: 'runs/a/metrics.jsonl', everySteps: 10, totalSteps, epochOf: (step) => step / stepsPerEpoch, leader: rank === 0, emit: console.log })] });
 */
export function metricsLogger(options: {
  metricsPath: string;
  everySteps: number;
  totalSteps: number;
  /** The fractional epoch after `step` steps (e.g. `step / stepsPerEpoch`). */
  epochOf: (step: number) => number;
  leader: boolean;
  emit: (event: TrainEvent) => void;
}): TrainerCallback {
  let last = performance.now();
  return {
    onStep(result) {
      const now = performance.now();
      const stepSeconds = (now - last) / 1000;
      last = now;
      const { step } = result;
      if (!options.leader || (step % options.everySteps !== 0 && step !== options.totalSteps)) return;
      const event = {
        type: 'step' as const,
        step,
        totalSteps: options.totalSteps,
        epoch: options.epochOf(step),
        loss: result.loss,
        classificationLoss: result.classificationLoss,
        distillationLoss: result.distillationLoss,
        accuracy: result.accuracy,
        lr: result.learningRate,
        imagesPerSecond: result.rows / stepSeconds,
        stepSeconds,
        memory: memoryUsage(),
      };
      const { type: _type, ...line } = event;
      appendFileSync(options.metricsPath, `${JSON.stringify(line)}\n`);
      options.emit(event);
    },
  };
}
