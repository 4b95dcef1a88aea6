import { tf } from '@bigface/backend';

/**
 * Floor on 1 − x² in the derivative of acos: |d acos/dx| is at most 1/sqrt(1e-6) = 1000, reached
 * only for |x| > 0.9999995 (angles under 0.06°), where the true derivative is infinite.
 */
export const SAFE_ACOS_EPSILON = 1e-6;

const safeAcosWithGradient = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = inputs as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.acos(tf.clipByValue(x, -1, 1)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const input = saved[0] as tf.Tensor;
      // (1 − x)(1 + x) rather than 1 − x²: exact 1 − x near x = 1 keeps the small angles accurate.
      const oneMinusSquare = tf.mul(tf.sub(1, input), tf.add(1, input));
      const derivative = tf.neg(tf.rsqrt(tf.maximum(oneMinusSquare, SAFE_ACOS_EPSILON)));
      // Outside [−1, 1] the value is clamped, so the derivative there is 0 (as in clamp-then-acos).
      const inside = tf.lessEqual(tf.abs(input), 1);
      return [tf.mul(dy, tf.where(inside, derivative, tf.zerosLike(derivative)))];
    },
  };
});

/**
 * acos with a gradient that stays finite at ±1: the value is `acos(clip(x, −1, 1))`, exact; the
 * derivative −1/sqrt(1 − x²) is evaluated with 1 − x² floored at {@link SAFE_ACOS_EPSILON}, so a
 * cosine of exactly ±1 (an embedding on its class centre) gives a large but finite gradient
 * instead of the Infinity/NaN that PyTorch's `arccos` gives there.
 *
 * Used by ArcFace ([Deng et al. 2019](https://arxiv.org/abs/1801.07698)), whose gradient flows
 * through the angle.
 *
 * @example
 * const x = tf.tensor1d([1, 0.5, -1]);
 * safeAcos(x).print();                       // [0, 1.0472, 3.1416]
 * tf.grad((v) => safeAcos(v).sum())(x).print(); // [-1000, -1.1547, -1000]
 */
export function safeAcos<T extends tf.Tensor>(x: T): T {
  return safeAcosWithGradient(x) as T;
}
