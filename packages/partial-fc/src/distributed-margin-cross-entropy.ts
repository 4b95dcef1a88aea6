import { tf, type Communicator } from '@bigface/backend';
import type { TargetMargin } from '@bigface/margin-losses';
import { distributedSoftmax, rowWeights, softmaxLogSumExp, type CrossEntropyResult } from './distributed-cross-entropy';

/**
 * `distributedCrossEntropy(margin(cosine, localLabels))` computed with few [B, C_r] tensors alive:
 * what PartialFC runs on every rank.
 *
 * The margin is a {@link TargetMargin}: it changes each row's target logit as a function of the
 * target cosine only and scales every other logit by one `scale` — so the softmax takes
 * `z = scale·cosine` with each target entry replaced by `margin.targetLogit(target cosine)`, in one
 * custom-gradient op. The values are those of the margin applied to the whole shard, but autodiff
 * through the margin no longer keeps a dozen [B, C_r] copies and gradients alive until the end of
 * the backward pass (at W = 4 they outweighed the centre shard: B_global·C_r does not shrink with W).
 *
 * `cosine` [B, C_r] are this rank's columns; `localLabels[i]` is the target's column in this shard
 * or −1 (target on another rank, or unlabeled); `labelled[i]` says whether row i has a target on
 * some rank. Collective: every rank calls it at the same point. Returns the loss and its statistics.
 *
 * @example
 * const { rows } = allGatherRows(communicator, embeddings);
 * const { loss, accuracy } = distributedMarginCrossEntropy(communicator, shardCosine(rows, head.weight), cosFace({ s: 64, m: 0.4 }), localLabels, labelled);
 */
export function distributedMarginCrossEntropy(
  communicator: Communicator,
  cosine: tf.Tensor2D,
  margin: TargetMargin,
  localLabels: Int32Array,
  labelled: Uint8Array,
): CrossEntropyResult {
  const targets = targetEntries(localLabels, cosine.shape[1]);
  let statistics = { labelledRows: 0, accuracy: 0 };
  const loss = tf.tidy(() => {
    const target = targetColumn(cosine, targets); // [B, 1], 0 where the target is not here
    const { loss: value, ...rest } = scaledCrossEntropy(communicator, cosine, margin.targetLogit(target), margin.scale, localLabels, labelled, targets);
    statistics = rest;
    return value;
  });
  return { loss, ...statistics };
}

/** Where each row's local target is, for gathers and scatters of the B target entries. */
interface TargetEntries {
  /** The K rows that have a local target, in order. */
  rows: Int32Array;
  /** Their (row, column) pairs, K × 2. */
  positions: Int32Array;
  /** row · C + column for every row (column 0 for rows without a local target), [B]. */
  flat: Int32Array;
  /** 1 for rows with a local target, else 0, [B]. */
  present: Float32Array;
}

function targetEntries(localLabels: Int32Array, columns: number): TargetEntries {
  const rows = Int32Array.from(localLabels.keys()).filter((row) => (localLabels[row] as number) >= 0);
  return {
    rows,
    positions: Int32Array.from(Array.from(rows).flatMap((row) => [row, localLabels[row] as number])),
    flat: Int32Array.from(localLabels, (label, row) => row * columns + Math.max(0, label)),
    present: Float32Array.from(localLabels, (label) => (label >= 0 ? 1 : 0)),
  };
}

/** The B target entries of `matrix` [B, C] as [B, 1], 0 in rows without a local target. */
function gatherTargets(matrix: tf.Tensor2D, targets: TargetEntries): tf.Tensor2D {
  return tf.tidy(() => {
    const picked = tf.gather(tf.reshape(matrix, [-1]), tf.tensor1d(targets.flat, 'int32'));
    return tf.reshape(tf.mul(picked, tf.tensor1d(targets.present)), [-1, 1]) as tf.Tensor2D;
  });
}

/**
 * `matrix` with its K target entries replaced by `values` [K]: an exact replacement, not arithmetic.
 * tfjs-backend-cpu 4.22's TensorScatterUpdate writes into its input's buffer: pass only a
 * temporary that nothing reads afterwards.
 */
function replaceTargets(matrix: tf.Tensor2D, targets: TargetEntries, values: tf.Tensor1D): tf.Tensor2D {
  if (targets.rows.length === 0) return matrix;
  return tf.tensorScatterUpdate(matrix, tf.tensor2d(targets.positions, [targets.rows.length, 2], 'int32'), values);
}

/** Each row's local target entry of `matrix` (0 without one), [B, 1]; its gradient is a scatter. */
function targetColumn(matrix: tf.Tensor2D, targets: TargetEntries): tf.Tensor2D {
  const [rows, columns] = matrix.shape;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: gatherTargets(args[0] as tf.Tensor2D, targets),
    gradFunc: (dy: tf.Tensor) =>
      tf.tidy(() => {
        const count = targets.rows.length;
        if (count === 0) return tf.zeros([rows, columns]);
        const perTarget = tf.gather(tf.reshape(dy, [-1]), tf.tensor1d(targets.rows, 'int32'));
        return tf.scatterND(tf.tensor2d(targets.positions, [count, 2], 'int32'), perTarget, [rows, columns]);
      }),
  }));
  return op(matrix) as tf.Tensor2D;
}

/**
 * Distributed softmax cross-entropy of `z = scale · cosine` with each row's entry at its local
 * target replaced by `targetLogits` (rows without a local target are only scaled).
 */
function scaledCrossEntropy(
  communicator: Communicator,
  cosine: tf.Tensor2D,
  targetLogits: tf.Tensor2D,
  scale: number,
  localLabels: Int32Array,
  labelled: Uint8Array,
  targets: TargetEntries,
): CrossEntropyResult {
  const rows = cosine.shape[0];
  const logits = (c: tf.Tensor2D, t: tf.Tensor2D) =>
    tf.tidy(() => replaceTargets(tf.mul(c, scale) as tf.Tensor2D, targets, tf.gather(tf.reshape(t, [-1]), tf.tensor1d(targets.rows, 'int32')) as tf.Tensor1D));
  let statistics = { labelledRows: 0, accuracy: 0 };
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [c, t] = args as [tf.Tensor2D, tf.Tensor2D];
    (args[2] as tf.GradSaveFunc)([c, t]);
    const softmax = distributedSoftmax(communicator, logits(c, t), localLabels, labelled);
    statistics = softmax.statistics;
    return {
      value: tf.scalar(softmax.loss),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [savedCosine, savedTarget] = saved as [tf.Tensor2D, tf.Tensor2D];
          // dz = (p − onehot)·w: its target entries go to the target logit, the others (times s) to
          // the cosine. Nested tidies keep ~3 [B, C_r] temporaries alive at once.
          const weight = tf.tidy(() => tf.mul(tf.tensor2d(rowWeights(softmax, labelled), [rows, 1]), dy)); // [B, 1]
          const logSumExp = tf.tensor2d(softmaxLogSumExp(softmax), [rows, 1]);
          const weightedSoftmax = tf.tidy(() => tf.mul(tf.exp(tf.tidy(() => tf.sub(logits(savedCosine, savedTarget), logSumExp))), weight)) as tf.Tensor2D;
          const targetSoftmax = gatherTargets(weightedSoftmax, targets); // p_t·w, or 0
          // The target entries set to exactly 0 (they reach the cosine through the margin).
          const offTarget = replaceTargets(weightedSoftmax, targets, tf.zeros([targets.rows.length]));
          const gradientTarget = tf.sub(targetSoftmax, tf.mul(weight, tf.tensor2d(targets.present, [rows, 1])));
          return [tf.mul(offTarget, scale), gradientTarget];
        }),
    };
  });
  const loss = op(cosine, targetLogits) as tf.Scalar;
  return { loss, ...statistics };
}
