import { tf, type Communicator } from '@bigface/backend';
import { targetMask } from '@bigface/margin-losses';

/** Statistics of one distributed cross-entropy evaluation (identical on every rank). */
export interface CrossEntropyStatistics {
  /** Rows with a label (label ≥ 0 somewhere); only they count in the loss. */
  labelledRows: number;
  /** Fraction of labelled rows whose target logit is the largest over all classes of all ranks. */
  accuracy: number;
}

/** A distributed cross-entropy: the differentiable loss and its statistics. */
export interface CrossEntropyResult extends CrossEntropyStatistics {
  /** Mean cross-entropy over labelled rows: the same value on every rank. */
  loss: tf.Scalar;
}

/**
 * Softmax cross-entropy over classes split across ranks, without any rank holding all logits.
 *
 * `logits` [B, C_r] are this rank's columns of the global [B, C] logits; `localLabels[i]` is
 * the target's column in this shard or −1 when the target lives on another rank (or the row is
 * unlabeled); `labelled[i]` says whether row i has a target on some rank. With M = all-reduce
 * MAX of the row maxima, S = all-reduce SUM of Σ exp(z − M) and T = the target logit (all-reduce
 * SUM, only the owner contributes): loss = mean over labelled rows of log S + M − T. Unlabeled
 * rows add nothing to the loss or its gradient (insightface counts them as −log 1e-30, its #1437).
 * The gradient w.r.t. this rank's logits is (softmax − onehot) / labelledRows on labelled rows.
 */
export function distributedCrossEntropy(communicator: Communicator, logits: tf.Tensor2D, localLabels: Int32Array, labelled: Uint8Array): CrossEntropyResult {
  let statistics: CrossEntropyStatistics = { labelledRows: 0, accuracy: 0 };
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const z = args[0] as tf.Tensor2D;
    (args[1] as tf.GradSaveFunc)([z]);
    const softmax = distributedSoftmax(communicator, z, localLabels, labelled);
    statistics = softmax.statistics;
    return {
      value: tf.scalar(softmax.loss),
      // tidy: a customGrad's gradFunc is not tidied by the engine, and every [B, C_r] temporary
      // left here would stay alive until the whole backward pass ends (through the centre gradient).
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => softmaxGradient(saved[0] as tf.Tensor2D, softmax, localLabels, labelled, dy)),
    };
  });
  const loss = op(logits) as tf.Scalar;
  return { loss, ...statistics };
}

/** The all-reduced softmax statistics of one evaluation, kept for the backward pass. */
export interface DistributedSoftmax {
  /** Loss: mean over labelled rows of log S + M − T. */
  loss: number;
  /** M: the row maxima over all ranks. */
  rowMax: Float32Array;
  /** S: Σ exp(z − M) over all ranks. */
  sumExp: Float32Array;
  labelledRows: number;
  /** Labelled rows and top-1 accuracy. */
  statistics: CrossEntropyStatistics;
}

/**
 * The collective part of {@link distributedCrossEntropy} on this rank's logits `z` [B, C_r]:
 * all-reduces of the row max, the row sum of exp and the target logit.
 */
export function distributedSoftmax(communicator: Communicator, z: tf.Tensor2D, localLabels: Int32Array, labelled: Uint8Array): DistributedSoftmax {
  const [rows, columns] = z.shape;
  // Called inside a customGrad's forward function: the engine tidies its temporaries.
  let labelledRows = 0;
  for (let i = 0; i < rows; i++) labelledRows += labelled[i] ? 1 : 0;
  const rowMax = communicator.allReduce(tf.max(z, 1).dataSync() as Float32Array, 'max') as Float32Array;
  const maxTensor = tf.tensor2d(rowMax, [rows, 1]);
  const sumExp = communicator.allReduce(tf.tidy(() => tf.sum(tf.exp(tf.sub(z, maxTensor)), 1)).dataSync() as Float32Array, 'sum') as Float32Array;
  // Target logits of the rows whose target lives here, by flat index; others contribute 0.
  const flatIndices = new Int32Array(rows);
  for (let i = 0; i < rows; i++) flatIndices[i] = i * columns + Math.max(0, localLabels[i] as number);
  const picked = tf.gather(tf.reshape(z, [-1]), tf.tensor1d(flatIndices, 'int32')).dataSync();
  const localTarget = new Float32Array(rows);
  const localCorrect = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    if ((localLabels[i] as number) >= 0) {
      localTarget[i] = picked[i] as number;
      localCorrect[i] = (picked[i] as number) >= (rowMax[i] as number) ? 1 : 0;
    }
  }
  const target = communicator.allReduce(localTarget, 'sum') as Float32Array;
  const correct = communicator.allReduce(localCorrect, 'sum') as Float32Array;
  let total = 0;
  let hits = 0;
  for (let i = 0; i < rows; i++) {
    if (!labelled[i]) continue;
    total += Math.log(sumExp[i] as number) + (rowMax[i] as number) - (target[i] as number);
    hits += (correct[i] as number) > 0 ? 1 : 0;
  }
  const statistics = { labelledRows, accuracy: labelledRows > 0 ? hits / labelledRows : 0 };
  return { loss: labelledRows > 0 ? total / labelledRows : 0, rowMax, sumExp, labelledRows, statistics };
}

/** 1/labelledRows on labelled rows, 0 on the others (they add nothing to the loss), [B]. */
export function rowWeights(softmax: DistributedSoftmax, labelled: Uint8Array): Float32Array {
  return Float32Array.from(labelled, (isLabelled) => (isLabelled && softmax.labelledRows > 0 ? 1 / softmax.labelledRows : 0));
}

/** M + log S per row: the global log-sum-exp, [B]. */
export function softmaxLogSumExp(softmax: DistributedSoftmax): Float32Array {
  return softmax.rowMax.map((max, i) => max + Math.log(softmax.sumExp[i] as number));
}

/** (softmax − onehot) / labelledRows · dy on labelled rows, 0 on the others, [B, C_r]. */
export function softmaxGradient(z: tf.Tensor2D, softmax: DistributedSoftmax, localLabels: Int32Array, labelled: Uint8Array, dy: tf.Tensor): tf.Tensor2D {
  const [rows, columns] = z.shape;
  const probabilities = tf.exp(tf.sub(z, tf.tensor2d(softmaxLogSumExp(softmax), [rows, 1])));
  // Rows labelled −1 (target on another rank, or unlabeled) get an all-zero row.
  const oneHot = targetMask(tf.tensor1d(localLabels, 'int32'), columns);
  return tf.mul(tf.mul(tf.sub(probabilities, oneHot), tf.tensor2d(rowWeights(softmax, labelled), [rows, 1])), dy) as tf.Tensor2D;
}
