import { assertArgument, tf } from '@bigface/backend';

/** Embeddings as plain rows: a [N, D] tensor is read back (float32 → float64), arrays are copied. */
export type EmbeddingRows = tf.Tensor2D | ReadonlyArray<ArrayLike<number>>;

/** Rows of `embeddings` as Float64Arrays of one common length; `where` names the caller in errors. */
export function asRows(embeddings: EmbeddingRows, where: string): Float64Array[] {
  if (embeddings instanceof tf.Tensor) {
    assertArgument(
      embeddings.rank === 2,
      'EVAL_BAD_EMBEDDINGS',
      () => `${where}: embeddings must be rank 2 [N, D], got shape [${embeddings.shape.join(', ')}]`,
    );
    const [count, size] = embeddings.shape as [number, number];
    const flat = embeddings.dataSync();
    return Array.from({ length: count }, (_, row) => Float64Array.from(flat.subarray(row * size, (row + 1) * size)));
  }
  const rows = embeddings.map((row) => Float64Array.from(row));
  const size = rows[0]?.length ?? 0;
  rows.forEach((row, index) => {
    assertArgument(row.length === size, 'EVAL_BAD_EMBEDDINGS', () => `${where}: embedding ${index} has ${row.length} values, embedding 0 has ${size}`);
  });
  return rows;
}
