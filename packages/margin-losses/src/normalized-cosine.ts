import { assertArgument, tf } from '@bigface/backend';

/** L2-normalises the rows of x as PyTorch's `F.normalize` does: x / max(|x|, 1e-12). */
function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  // rsqrt(max(|x|², 1e-24)) = 1 / max(|x|, 1e-12), and keeps the gradient finite at x = 0.
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-24)));
}

/**
 * Cosine similarity of every embedding with every class centre, the input of a margin:
 * `clip(normalize(embeddings) · normalize(centres)ᵀ, −1, 1)`, [B, C]. Rows are normalised as
 * PyTorch's `F.normalize` (divide by max(|x|, 1e-12)). Differentiable in both arguments.
 *
 * @example
 * const embeddings = tf.randomNormal([4, 512]);   // [B, D], from the backbone
 * const centres = tf.variable(tf.randomNormal([1000, 512]));  // [C, D]
 * const cosine = normalizedCosine(embeddings, centres);       // [4, 1000] in [−1, 1]
 */
export function normalizedCosine(embeddings: tf.Tensor2D, centres: tf.Tensor2D): tf.Tensor2D {
  assertArgument(embeddings.rank === 2, 'INVALID_SHAPE', () => `normalizedCosine: embeddings must be rank 2 [batch, dimension], got shape [${embeddings.shape}]`);
  assertArgument(centres.rank === 2, 'INVALID_SHAPE', () => `normalizedCosine: centres must be rank 2 [classes, dimension], got shape [${centres.shape}]`);
  assertArgument(
    embeddings.shape[1] === centres.shape[1],
    'INVALID_SHAPE',
    () => `normalizedCosine: embeddings have dimension ${embeddings.shape[1]} but centres have ${centres.shape[1]}`,
  );
  return tf.tidy(
    () => tf.clipByValue(tf.matMul(normalizeRows(embeddings), normalizeRows(centres), false, true), -1, 1) as tf.Tensor2D,
  );
}
