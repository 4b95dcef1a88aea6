import { FUSED_KERNELS, hasFusedKernel, tf } from '@bigface/backend';

/**
 * Training-mode BatchNorm over every axis but the last, with a closed-form backward (a
 * `tf.customGrad`): autodiff through mean/variance goes through broadcasts whose gradients tile and
 * reduce several times (a third of an IResNet step on wasm); the closed form needs two reductions.
 * With x̂ = (x - μ) / σ, N values per channel:
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ / (N σ) · (N dy - dβ - x̂ dγ).
 * When the backend has the fused kernels (FUSED_KERNELS of @bigface/backend: cpu + native), forward
 * and backward are one kernel each; otherwise they are composed of tfjs ops.
 * `onStatistics` receives the batch mean and biased variance (inside the forward's tidy: use them at once).
 *
 * @example
 * const y = batchNormTraining(x, gamma, beta, 1e-5, (mean, variance) => { ... });
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  onStatistics?: (mean: tf.Tensor, variance: tf.Tensor, count: number) => void,
): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  if (x.dtype === 'float32' && x.rank >= 2 && hasFusedKernel(FUSED_KERNELS.batchNormTraining) && hasFusedKernel(FUSED_KERNELS.batchNormTrainingGrad)) {
    return fusedBatchNormTraining(x, gamma, beta, epsilon, count, onStatistics);
  }
  const run = tf.customGrad((...args: unknown[]) => {
    const [input, scale, offset] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const mean = tf.mean(input, axes);
    const centered = tf.sub(input, mean);
    const variance = tf.mean(tf.square(centered), axes);
    const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
    const normalized = tf.mul(centered, inverseStd);
    onStatistics?.(mean, variance, count);
    save([normalized, inverseStd, scale]);
    return {
      value: tf.add(tf.mul(normalized, scale), offset),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const grad = dy as tf.Tensor;
        const [xHat, invStd, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dBeta = tf.sum(grad, axes);
        const dGamma = tf.sum(tf.mul(grad, xHat), axes);
        const dx = tf.mul(tf.mul(g, tf.div(invStd, count)), tf.sub(tf.sub(tf.mul(grad, count), dBeta), tf.mul(xHat, dGamma)));
        return [dx, dGamma, dBeta];
      },
    };
  });
  return run(x, gamma, beta);
}

/** The same function through the backend's fused kernels: x, not x̂, is kept for the backward pass. */
function fusedBatchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  count: number,
  onStatistics?: (mean: tf.Tensor, variance: tf.Tensor, count: number) => void,
): tf.Tensor {
  const run = tf.customGrad((...args: unknown[]) => {
    const [input, scale, offset] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance] = tf
      .engine()
      .runKernel(
        FUSED_KERNELS.batchNormTraining,
        { x: input, scale: tf.reshape(scale, [-1]), offset: tf.reshape(offset, [-1]) },
        { epsilon },
      ) as unknown as tf.Tensor[];
    onStatistics?.(mean!, variance!, count);
    save([input, mean!, variance!, scale]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [savedX, savedMean, savedVariance, savedScale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const [dx, dScale, dOffset] = tf
          .engine()
          .runKernel(
            FUSED_KERNELS.batchNormTrainingGrad,
            { dy: dy as tf.Tensor, x: savedX, mean: savedMean, variance: savedVariance, scale: tf.reshape(savedScale, [-1]) },
            { epsilon },
          ) as unknown as tf.Tensor[];
        return [dx!, tf.reshape(dScale!, savedScale.shape), tf.reshape(dOffset!, savedScale.shape)];
      },
    };
  });
  return run(x, gamma, beta);
}

/**
 * `tf.prelu(x, alpha)` whose gradient is the backend's fused PReLU-gradient kernel when it has one
 * (one pass: dx and the per-channel dα; tfjs composes Greater, Select, Multiply and Sum), and
 * tf.prelu's own gradient otherwise.
 *
 * @example
 * const y = preluTraining(x, alpha); // alpha [C] or a scalar
 */
export function preluTraining(x: tf.Tensor, alpha: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'float32' || x.rank < 2 || !hasFusedKernel(FUSED_KERNELS.preluGrad) || (alpha.size !== 1 && alpha.size !== x.shape[x.rank - 1])) {
    return tf.prelu(x, alpha);
  }
  const run = tf.customGrad((...args: unknown[]) => {
    const [input, slope] = args as [tf.Tensor, tf.Tensor];
    const save = args[2] as tf.GradSaveFunc;
    save([input, slope]);
    return {
      value: tf.prelu(input, slope),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [savedX, savedAlpha] = saved as [tf.Tensor, tf.Tensor];
        const [dx, dAlpha] = tf.engine().runKernel(FUSED_KERNELS.preluGrad, { dy: dy as tf.Tensor, x: savedX, alpha: savedAlpha }) as unknown as tf.Tensor[];
        return [dx!, dAlpha!];
      },
    };
  });
  return run(x, alpha);
}
