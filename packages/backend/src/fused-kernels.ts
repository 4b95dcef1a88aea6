import * as tf from '@tensorflow/tfjs-core';

/**
 * Fused training kernels a backend may register (the `cpu` backend gets them from
 * @bigface/native-cpu): one pass over memory where tfjs composes 5–10 ops. Callers check
 * {@link hasFusedKernel} and fall back to tfjs ops, so every backend computes the same function.
 *
 * - `batchNormTraining`: inputs `{ x, scale, offset }` (x channels-last, scale/offset `[C]`), attrs
 *   `{ epsilon }` → `[y, mean, variance]` (batch statistics over every axis but the last; biased variance).
 * - `batchNormTrainingGrad`: inputs `{ dy, x, mean, variance, scale }`, attrs `{ epsilon }` →
 *   `[dx, dScale, dOffset]` (the gradient through the batch statistics included).
 * - `preluGrad`: inputs `{ dy, x, alpha }` (alpha `[C]` or scalar) → `[dx, dAlpha]`.
 * - `conv2dResidual` (inference): inputs `{ x, filter, bias?, residual }`, attrs of Conv2D (NHWC,
 *   `strides`, `pad`) → `conv2d(x, filter) + bias + residual` in one pass.
 * - `squaredNorms`: inputs `{ w, g }` → `[Σw², Σg²]` (LARS's norms in one pass).
 * - `larsApply`: inputs `{ w, g, m }`, attrs `{ learningRate, momentum, weightDecay, eta, epsilon,
 *   weightNorm, gradientNorm, excluded }` → `[w', m']`: one LARS step in one pass (see @bigface/lars).
 */
export const FUSED_KERNELS = {
  batchNormTraining: 'BigFaceBatchNormTraining',
  batchNormTrainingGrad: 'BigFaceBatchNormTrainingGrad',
  preluGrad: 'BigFacePreluGrad',
  conv2dResidual: 'BigFaceConv2DResidual',
  squaredNorms: 'BigFaceSquaredNorms',
  larsApply: 'BigFaceLarsApply',
} as const;

/**
 * Whether the active backend has fused kernel `name` (one of {@link FUSED_KERNELS}).
 *
 * @example
 * if (hasFusedKernel(FUSED_KERNELS.preluGrad)) tf.engine().runKernel(FUSED_KERNELS.preluGrad, { dy, x, alpha });
 */
export function hasFusedKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}
