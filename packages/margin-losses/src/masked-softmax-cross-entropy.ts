import { tf } from '@bigface/backend';
import { assertLabels } from './assert-labels';
import { targetMask } from './target-mask';

/**
 * Softmax cross-entropy averaged over the labelled rows: `mean_{i: labels[i] ≠ −1} (logsumexp(z_i)
 * − z_{i, labels[i]})`, with a max-shifted log-sum-exp so that logits of any size (s = 64 gives
 * ±64) neither overflow nor underflow. Rows labelled −1 contribute neither to the loss nor to
 * the count, and get a zero gradient. When no row is labelled the loss is 0 with a zero gradient
 * (not NaN), so a batch without labels is a no-op step.
 *
 * This is the unsharded loss; PartialFC computes the same quantity across class shards.
 *
 * @example
 * const logits = cosFace()(normalizedCosine(embeddings, centres), labels);
 * const loss = maskedSoftmaxCrossEntropy(logits, labels);   // scalar
 */
export function maskedSoftmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  assertLabels('maskedSoftmaxCrossEntropy', logits, labels, 'logits');
  return tf.tidy(() => {
    const labelled = tf.cast(tf.greaterEqual(labels, 0), 'float32');
    const target = tf.sum(tf.mul(logits, targetMask(labels, logits.shape[1])), 1);
    const perRow = tf.mul(tf.sub(tf.logSumExp(logits, 1), target), labelled);
    return tf.div(tf.sum(perRow), tf.maximum(tf.sum(labelled), 1)) as tf.Scalar;
  });
}
