import { tf } from '@bigface/backend';

/** Rows divided by their norms, with what the backward pass needs. */
export interface NormalizedRows {
  unit: tf.Tensor2D;
  /** max(|x|, 1e-12) per row, [N, 1]. */
  norm: tf.Tensor2D;
  /** 1 where |x| > 1e-12 (the norm depends on x), else 0, [N, 1]. */
  live: tf.Tensor2D;
}

/**
 * Rows divided by max(|x|, 1e-12), as PyTorch's `F.normalize`, with the norms and the rows whose
 * norm is live — for hand-written gradients (normalizedCosine, PartialFC's shardCosine).
 *
 * @example
 * const rows = normalizeRows(embeddings); // rows.unit [B, D]
 * const gradient = normalizeRowsBackward(rows, gradientOfUnit); // [B, D]
 */
export function normalizeRows(x: tf.Tensor2D): NormalizedRows {
  const squared = tf.sum(tf.square(x), 1, true);
  const norm = tf.sqrt(tf.maximum(squared, 1e-24)) as tf.Tensor2D;
  return { unit: tf.div(x, norm) as tf.Tensor2D, norm, live: tf.cast(tf.greater(squared, 1e-24), 'float32') as tf.Tensor2D };
}

/** Backward of x ↦ x/|x| given the gradient g of the unit rows: (g − x̂·⟨g, x̂⟩·live)/|x|. */
export function normalizeRowsBackward(rows: NormalizedRows, gradient: tf.Tensor2D): tf.Tensor2D {
  // Nested tidies free each [N, D] temporary as soon as it is used: peak memory matters for C × D.
  const radial = tf.tidy(() => tf.mul(tf.sum(tf.mul(gradient, rows.unit), 1, true), rows.live));
  const tangent = tf.tidy(() => tf.sub(gradient, tf.mul(rows.unit, radial)));
  return tf.div(tangent, rows.norm) as tf.Tensor2D;
}
