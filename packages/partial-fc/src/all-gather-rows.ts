import { tf, type Communicator } from '@bigface/backend';

/** Row counts per rank recorded by {@link allGatherRows}, to send gradients back to their owners. */
export interface GatheredRows {
  /** Rows contributed by each rank, in rank order. */
  rowCounts: number[];
  /** Index of this rank's first row in the gathered matrix. */
  offset: number;
}

/**
 * All-gathers a row-major matrix [B_r, D] from every rank into [ΣB_r, D], differentiably: the
 * backward pass sums each gathered row's gradient over all ranks (reduce-scatter) and returns to
 * every rank the gradient of its own rows. Every rank must call it at the same point.
 */
export function allGatherRows(
  communicator: Communicator,
  x: tf.Tensor2D,
  info: Partial<GatheredRows> = {},
): tf.Tensor2D {
  const columns = x.shape[1];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const gathered = communicator.allGatherV(input.dataSync() as Float32Array);
    const rowCounts = gathered.counts.map((count) => count / columns);
    const offset = rowCounts.slice(0, communicator.rank).reduce((a, b) => a + b, 0);
    info.rowCounts = rowCounts;
    info.offset = offset;
    const total = rowCounts.reduce((a, b) => a + b, 0);
    return {
      value: tf.tensor2d(gathered.data as Float32Array, [total, columns]),
      gradFunc: (dy: tf.Tensor) => {
        const mine = communicator.reduceScatter(
          dy.dataSync() as Float32Array,
          'sum',
          rowCounts.map((rows) => rows * columns),
        );
        return tf.tensor2d(mine as Float32Array, [rowCounts[communicator.rank] as number, columns]);
      },
    };
  });
  return op(x) as tf.Tensor2D;
}
