import { tf } from '@bigface/backend';
import { angularDistillationLoss } from '@bigface/distill';
import type { PartialFC } from '@bigface/partial-fc';
import type { IResNet } from '@bigface/resnet-zoo';

/** One micro-batch of this rank: images, labels (−1: unlabeled) and dataset indices. */
export interface MicroBatch {
  images: tf.Tensor4D;
  labels: Int32Array;
  ids: Int32Array;
}

/** Inputs of {@link accumulateGradients}. */
export interface AccumulateGradientsOptions {
  model: IResNet;
  head: PartialFC;
  /** The variables to differentiate: the backbone's trainable ones, then `head.weight`. */
  variables: tf.Variable[];
  microBatches: MicroBatch[];
  /**
   * Weight of micro-batch k's classification loss (PartialFC's mean over its labelled rows of all
   * ranks): its share of the step's labelled rows, so the sum is the mean over the whole global batch.
   */
  classificationScales: number[];
  /** Weight of micro-batch k's distillation mean on this rank: its rows over the global batch. */
  distillationScales: number[];
  /** Teacher embeddings of a micro-batch (frozen network or cache); absent without distillation. */
  teacher?: (batch: MicroBatch) => tf.Tensor2D;
  lambda?: number;
  /** Training-mode BatchNorm (batch statistics) — false gives eval-mode BN (running statistics). */
  training?: boolean;
  checkpointing?: 'none' | 'stage' | 'block';
  /** Dropout seed of micro-batch k. */
  dropoutSeeds?: number[];
  /** Test-only fault injection: multiply the loss by NaN. */
  poison?: boolean;
}

/** Summed gradients (aligned with `variables`; the caller disposes them) and the step's statistics. */
export interface AccumulatedGradients {
  gradients: tf.Tensor[];
  /** Σ_k scale_k · classification loss_k: the global batch's mean classification loss. */
  classificationLoss: number;
  /** This rank's share of λ · the global-batch mean distillation loss (sum it over ranks). */
  distillationContribution: number;
  /** Accuracy over labelled rows, weighted like the loss. */
  accuracy: number;
}

/**
 * Gradients of one optimizer step as the sum over k micro-batches of the gradients of
 * `scale_k · CE_k + λ · dscale_k · distill_k`: with the scales of {@link AccumulateGradientsOptions}
 * this is the gradient of the large batch's loss (mean classification loss over its labelled rows
 * plus λ times its mean distillation loss), up to float summation order — exactly so when the
 * network treats samples independently (eval-mode BatchNorm); training-mode BatchNorm normalises
 * each micro-batch with its own statistics, as every micro-batching implementation does.
 * The backbone's part is this rank's contribution: summing it over ranks gives the global gradient.
 *
 * @example
 * const { gradients } = accumulateGradients({ model, head, variables, microBatches, classificationScales: [0.5, 0.5], distillationScales: [0.5, 0.5] });
 */
export function accumulateGradients(options: AccumulateGradientsOptions): AccumulatedGradients {
  const { model, head, variables, microBatches, teacher } = options;
  const lambda = options.lambda ?? 0;
  let sums: tf.Tensor[] | null = null;
  let classificationLoss = 0;
  let distillationContribution = 0;
  let accuracy = 0;
  microBatches.forEach((batch, k) => {
    const classificationScale = options.classificationScales[k]!;
    const distillationScale = options.distillationScales[k]!;
    const targets = teacher ? teacher(batch) : null;
    let parts: { classification: number; distillation: number; accuracy: number } = { classification: 0, distillation: 0, accuracy: 0 };
    const { value, grads } = tf.variableGrads(() => {
      const embeddings = model.forward(batch.images, {
        training: options.training ?? true,
        checkpointing: options.checkpointing ?? 'none',
        seed: options.dropoutSeeds?.[k],
      });
      const output = head.forward(embeddings, batch.labels);
      let loss: tf.Scalar = tf.mul(output.loss, classificationScale);
      parts = { classification: 0, distillation: 0, accuracy: output.accuracy };
      let distillation: tf.Scalar | null = null;
      if (targets !== null) {
        distillation = angularDistillationLoss(embeddings, targets);
        loss = tf.add(loss, tf.mul(distillation, lambda * distillationScale));
      }
      // Read the parts now: they are intermediates of the tape and disposed with it.
      parts.classification = output.loss.dataSync()[0]!;
      parts.distillation = distillation === null ? 0 : distillation.dataSync()[0]!;
      if (options.poison) loss = tf.mul(loss, Number.NaN);
      return loss;
    }, variables);
    value.dispose();
    targets?.dispose();
    classificationLoss += classificationScale * parts.classification;
    distillationContribution += lambda * distillationScale * parts.distillation;
    accuracy += classificationScale * parts.accuracy;
    const ordered = variables.map((variable) => grads[variable.name] ?? tf.zerosLike(variable));
    for (const name of Object.keys(grads)) if (!variables.some((v) => v.name === name)) grads[name]!.dispose();
    if (sums === null) {
      sums = ordered;
    } else {
      const previous: tf.Tensor[] = sums;
      sums = previous.map((sum, i) => tf.add(sum, ordered[i]!));
      tf.dispose(previous);
      tf.dispose(ordered);
    }
  });
  return { gradients: sums ?? [], classificationLoss, distillationContribution, accuracy };
}
