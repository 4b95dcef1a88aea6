import { tf, type Communicator } from '@bigface/backend';

/** What {@link allGatherRows} returns: the gathered matrix and where each rank's rows are in it. */
export interface GatheredRows {
  /** [ΣB_r, D], differentiable: its gradient returns to each rank for its own rows. */
  rows: tf.Tensor2D;
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
export function allGatherRows(communicator: Communicator, x: tf.Tensor2D): GatheredRows {
  const columns = x.shape[1];
  const info = { rowCounts: [] as number[], offset: 0 };
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
  const rows = op(x) as tf.Tensor2D;
  return { rows, ...info };
}
