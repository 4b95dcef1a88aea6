import { assertArgument, tf } from '@bigface/backend';
import { normalizeRows, normalizeRowsBackward, type NormalizedRows } from './normalize-rows';

/**
 * Cosine similarity of every embedding with every class centre, the input of a margin:
 * `clip(normalize(embeddings) · normalize(centres)ᵀ, −1, 1)`, [B, C]. Rows are normalised as
 * PyTorch's `F.normalize` (divide by max(|x|, 1e-12)). Differentiable in both arguments.
 *
 * The gradient is written by hand (a customGrad) because autodiff through the normalisation
 * keeps several [C, D] intermediates of the centres alive until backward: for 100k × 512 centres
 * that was 14× the centres' bytes at peak. Here backward recomputes the unit centres and peaks at a
 * few [C, D] temporaries; the large operand is never transposed (slow on wasm).
 *
 * @example
 * const embeddings = tf.randomNormal([4, 512]);   // [B, D], from the backbone
 * const centres = tf.variable(tf.randomNormal([1000, 512]));  // [C, D]
 * const cosine = normalizedCosine(embeddings, centres);       // [4, 1000] in [−1, 1]
 */
export function normalizedCosine(embeddings: tf.Tensor2D, centres: tf.Tensor2D): tf.Tensor2D {
  assertArgument(
    embeddings.rank === 2,
    'INVALID_SHAPE',
    () => `normalizedCosine: embeddings must be rank 2 [batch, dimension], got shape [${embeddings.shape}]`,
  );
  assertArgument(centres.rank === 2, 'INVALID_SHAPE', () => `normalizedCosine: centres must be rank 2 [classes, dimension], got shape [${centres.shape}]`);
  assertArgument(
    embeddings.shape[1] === centres.shape[1],
    'INVALID_SHAPE',
    () => `normalizedCosine: embeddings have dimension ${embeddings.shape[1]} but centres have ${centres.shape[1]}`,
  );
  const cosine = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [e, w] = args as [tf.Tensor2D, tf.Tensor2D];
    (args[2] as tf.GradSaveFunc)([e, w]);
    // cᵀ = ŵ·êᵀ: only the small [B, D] operand is transposed; then [C, B] → [B, C].
    const raw = tf.tidy(() => tf.transpose(tf.matMul(normalizeRows(w).unit, normalizeRows(e).unit, false, true)) as tf.Tensor2D);
    return {
      value: tf.clipByValue(raw, -1, 1),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedE, savedW] = saved as [tf.Tensor2D, tf.Tensor2D];
        const rowsE = normalizeRows(savedE);
        const rowsW = tf.tidy(() => normalizeRows(savedW) as unknown as tf.NamedTensorMap) as unknown as NormalizedRows;
        // clipByValue passes the gradient where −1 ≤ c ≤ 1 (as torch.clamp), recomputed from ê·ŵ.
        const g = tf.tidy(() => {
          const unclipped = tf.transpose(tf.matMul(rowsW.unit, rowsE.unit, false, true));
          return tf.mul(dy, tf.cast(tf.lessEqual(tf.abs(unclipped), 1), 'float32')) as tf.Tensor2D; // [B, C]
        });
        const gradientE = tf.tidy(() => normalizeRowsBackward(rowsE, tf.matMul(g, rowsW.unit) as tf.Tensor2D));
        const gradientUnitW = tf.tidy(() => tf.matMul(tf.transpose(g), rowsE.unit) as tf.Tensor2D); // [C, D]
        const gradientW = normalizeRowsBackward(rowsW, gradientUnitW);
        return [gradientE, gradientW];
      },
    };
  });
  return cosine(embeddings, centres) as tf.Tensor2D;
}
