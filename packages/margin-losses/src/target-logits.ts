import { tf } from '@bigface/backend';
import { assertLabels } from './assert-labels';
import { targetMask } from './target-mask';

/**
 * Each row's logit at its label, [B]; 0 for rows labelled −1 (no target among these columns).
 * The piece a distributed softmax needs from each shard: summed over shards, it is every row's
 * target logit, since exactly one shard holds the target.
 *
 * @example
 * const logits = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
 * targetLogits(logits, tf.tensor1d([2, -1], 'int32')).print(); // [3, 0]
 */
export function targetLogits(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  assertLabels('targetLogits', logits, labels, 'logits');
  return tf.tidy(() => tf.sum(tf.mul(logits, targetMask(labels, logits.shape[1])), 1) as tf.Tensor1D);
}
