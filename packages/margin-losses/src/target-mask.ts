import { tf } from '@bigface/backend';

/**
 * Float32 one-hot [B, C] of `labels`, with an all-zero row for −1. Built as an int32 one-hot and
 * cast: tfjs-backend-wasm 4.22's OneHot kernel ignores a float32 dtype and writes int32 bits
 * (1 reads as 1.4e-45), so `tf.oneHot(labels, C, 1, 0, 'float32')` is wrong there.
 */
export function targetMask(labels: tf.Tensor1D, classes: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D);
}
