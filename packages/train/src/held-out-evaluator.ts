import { appendFileSync } from 'node:fs';
import { evaluateHeldOut, type HeldOutPairs } from './held-out-pairs';
import type { TrainerCallback } from './trainer';
import type { EvaluationResult, TrainEvent } from './train-events';

/** The evaluation callback: {@link heldOutEvaluator}'s return value. */
export interface HeldOutEvaluator extends TrainerCallback {
  /** Every evaluation so far, last one last. */
  readonly evaluations: readonly EvaluationResult[];
}

/**
 * Verification callback (arcface_torch's CallBackVerification): on rank 0, verifies the backbone on
 * the held-out pairs every `everySteps` steps before the last and once at the end of a completed
 * run; appends each result to `evaluationsPath` and emits an `evaluation` event.
 *
 * @example
 * const evaluator = heldOutEvaluator({ heldOut, everySteps: 0, batchSize: 64, epochOf: (step) => step / stepsPerEpoch, totalSteps, evaluationsPath, emit });
 */
export function heldOutEvaluator(options: {
  /** Null on the ranks that do not evaluate (or when evaluation is off). */
  heldOut: HeldOutPairs | null;
  everySteps: number;
  batchSize: number;
  /** The fractional epoch after `step` steps. */
  epochOf: (step: number) => number;
  totalSteps: number;
  evaluationsPath: string;
  emit: (event: TrainEvent) => void;
}): HeldOutEvaluator {
  const evaluations: EvaluationResult[] = [];
  const evaluate = (step: number, forward: Parameters<typeof evaluateHeldOut>[0]) => {
    if (options.heldOut === null) return;
    const result = evaluateHeldOut(forward, options.heldOut, { step, epoch: options.epochOf(step), batchSize: options.batchSize });
    evaluations.push(result);
    appendFileSync(options.evaluationsPath, `${JSON.stringify({ step, epoch: result.epoch, pairs: result.pairs, summaries: result.summaries })}\n`);
    options.emit({ type: 'evaluation', step, result });
  };
  return {
    evaluations,
    onStep(result, trainer) {
      if (options.everySteps > 0 && result.step % options.everySteps === 0 && result.step < options.totalSteps)
        evaluate(result.step, (images) => trainer.backbone.forward(images));
    },
    onEnd(summary, trainer) {
      if (!summary.stopped) evaluate(summary.steps, (images) => trainer.backbone.forward(images));
    },
  };
}
