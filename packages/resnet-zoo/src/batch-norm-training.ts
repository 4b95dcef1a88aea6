import { tf } from '@bigface/backend';

/**
 * Training-mode BatchNorm over every axis but the last, with a closed-form backward (a
 * `tf.customGrad`): autodiff through mean/variance goes through broadcasts whose gradients tile and
 * reduce several times (a third of an IResNet step on wasm); the closed form needs two reductions.
 * With x̂ = (x - μ) / σ, N values per channel:
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ / (N σ) · (N dy - dβ - x̂ dγ).
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
        const dx = tf.mul(
          tf.mul(g, tf.div(invStd, count)),
          tf.sub(tf.sub(tf.mul(grad, count), dBeta), tf.mul(xHat, dGamma)),
        );
        return [dx, dGamma, dBeta];
      },
    };
  });
  return run(x, gamma, beta);
}
