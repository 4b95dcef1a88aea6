import { BigFaceError, assertArgument, type tf } from '@bigface/backend';

/**
 * Checks that `logits` is [B, C] and `labels` an int32 [B] whose values are -1 (no target in
 * these columns) or a column in [0, C). Reads the B labels back: they are tiny, and a label past
 * the last column would otherwise silently mean "no target".
 */
export function assertLabels(op: string, logits: tf.Tensor, labels: tf.Tensor, logitsName = 'cosineLogits'): void {
  assertArgument(logits.rank === 2, 'INVALID_SHAPE', () => `${op}: ${logitsName} must be rank 2 [batch, classes], got shape [${logits.shape}]`);
  assertArgument(labels.rank === 1, 'INVALID_SHAPE', () => `${op}: labels must be rank 1 [batch], got shape [${labels.shape}]`);
  assertArgument(labels.dtype === 'int32', 'INVALID_DTYPE', () => `${op}: labels must be int32, got ${labels.dtype} (use tf.tensor1d(labels, 'int32'))`);
  assertArgument(labels.shape[0] === logits.shape[0], 'INVALID_SHAPE', () => `${op}: ${labels.shape[0]} labels for ${logits.shape[0]} rows of ${logitsName}`);
  const classes = logits.shape[1] as number;
  const values = labels.dataSync();
  for (let i = 0; i < values.length; i++) {
    const label = values[i] as number;
    if (label !== -1 && !(label >= 0 && label < classes)) {
      throw new BigFaceError(
        'INVALID_LABEL',
        `${op}: labels[${i}] = ${label} is outside [0, ${classes}) and is not -1 (no target in these classes); re-base shard labels to the shard's first class`,
      );
    }
  }
}
