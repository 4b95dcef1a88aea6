import { tf } from '@bigface/backend';

/** Rows divided by max(|x|, 1e-12), as PyTorch's `F.normalize(x, dim=1)`. */
export function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-24))) as tf.Tensor2D);
}
