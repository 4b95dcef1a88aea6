import { tf } from '@bigface/backend';
import { assertLabels } from './assert-labels';

/**
 * Fraction of labelled rows whose largest logit is at their label (ties go to the first column);
 * rows labelled −1 are ignored, and with no labelled row the accuracy is 0. A scalar tensor, so
 * that reading it back is the caller's choice.
 *
 * @example
 * const logits = tf.tensor2d([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]]);
 * topOneAccuracy(logits, tf.tensor1d([0, 0, -1], 'int32')).print(); // 0.5
 */
export function topOneAccuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  assertLabels('topOneAccuracy', logits, labels, 'logits');
  return tf.tidy(() => {
    const labelled = tf.cast(tf.greaterEqual(labels, 0), 'float32');
    const correct = tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32');
    return tf.div(tf.sum(tf.mul(correct, labelled)), tf.maximum(tf.sum(labelled), 1)) as tf.Scalar;
  });
}
