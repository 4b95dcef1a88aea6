import { BigFaceError, assertArgument, tf } from '@bigface/backend';
import { normalizeRows, normalizeRowsBackward } from '@bigface/margin-losses';

/** Options of {@link shardCosine}. */
export interface ShardCosineOptions {
  /**
   * Centre rows processed at a time where a [rows, D] temporary is needed (the squared norms in
   * the forward pass, the centre gradient in the backward pass). Default: an eighth of the shard,
   * between 1024 and 65536 rows.
   */
  rowsPerChunk?: number;
}

/** Default chunk: an eighth of the shard (so the two chunk temporaries stay ≤ ¼ of it), 1024–65536 rows. */
function defaultRowsPerChunk(rows: number): number {
  return Math.max(1024, Math.min(65536, Math.ceil(rows / 8)));
}

/** Calls `body(start, count)` for consecutive row ranges of at most `rowsPerChunk` rows. */
function chunked(rows: number, rowsPerChunk: number, body: (start: number, count: number) => tf.Tensor2D): tf.Tensor2D {
  if (rows <= rowsPerChunk) return body(0, rows);
  const pieces: tf.Tensor2D[] = [];
  for (let start = 0; start < rows; start += rowsPerChunk) pieces.push(tf.tidy(() => body(start, Math.min(rowsPerChunk, rows - start))));
  const whole = tf.concat2d(pieces, 0);
  tf.dispose(pieces);
  return whole;
}

/** Σ_d w_cd² per row [C, 1], with at most one [rowsPerChunk, D] temporary alive. */
function squaredRowNorms(w: tf.Tensor2D, rowsPerChunk: number): tf.Tensor2D {
  const [rows, columns] = w.shape;
  return chunked(rows, rowsPerChunk, (start, count) => {
    const part = rows <= rowsPerChunk ? w : tf.slice(w, [start, 0], [count, columns]);
    return tf.sum(tf.square(part), 1, true) as tf.Tensor2D;
  });
}

/**
 * Cosine logits of a centre shard, `clip(normalize(embeddings) · normalize(centres)ᵀ, −1, 1)`
 * [B, C_r] (rows normalised as PyTorch's `F.normalize`: divided by max(|x|, 1e-12)), with a
 * hand-written gradient that never materialises the unit centres.
 *
 * The forward pass is `(Ê · Wᵀ) ⊙ 1/‖w_c‖` as a column scale, so besides the [B, C_r] logits it
 * keeps only the [C_r, 1] squared norms. With G the incoming gradient (zero where the cosine was
 * clipped) and Gₛ = G ⊙ 1/‖w_c‖, the backward pass is
 * `dW = Gₛᵀ·Ê − diag(Σ_b G_bc·cos_bc / ‖w_c‖²)·W` (the radial term from the [B, C_r] cosines,
 * not from a [C_r, D] product) and `dÊ = Gₛ·W`, followed by the small normalisation backward of
 * the embeddings. dW is built `rowsPerChunk` rows at a time, so one step of a shard of C_r×D
 * centres peaks near 3 shards (centres, gradient pieces, the concatenated gradient) plus the
 * [B, C_r] logits and their gradients — where autodiff through `centres / norm` needed ~7.
 *
 * When `centres` is a `tf.Variable` the backward pass reads the variable rather than a saved
 * copy (a copy is a second shard on backends whose Identity copies, such as wasm); it must not
 * be reassigned between the forward and the backward pass (it is not, inside `tf.variableGrads`).
 *
 * @example
 * const embeddings = tf.randomNormal([32, 512]) as tf.Tensor2D;            // [B, D] (all-gathered)
 * const centres = tf.variable(tf.randomNormal([100_000, 512])) as tf.Variable<tf.Rank.R2>;
 * const { value, grads } = tf.variableGrads(() => tf.sum(shardCosine(embeddings, centres)), [centres]);
 */
export function shardCosine(embeddings: tf.Tensor2D, centres: tf.Tensor2D, options: ShardCosineOptions = {}): tf.Tensor2D {
  assertArgument(embeddings.rank === 2, 'INVALID_SHAPE', () => `shardCosine: embeddings must be rank 2 [batch, dimension], got shape [${embeddings.shape}]`);
  assertArgument(centres.rank === 2, 'INVALID_SHAPE', () => `shardCosine: centres must be rank 2 [classes, dimension], got shape [${centres.shape}]`);
  assertArgument(
    embeddings.shape[1] === centres.shape[1],
    'INVALID_SHAPE',
    () => `shardCosine: embeddings have dimension ${embeddings.shape[1]} but centres have ${centres.shape[1]}`,
  );
  const [classes, dimension] = centres.shape;
  const rowsPerChunk = options.rowsPerChunk ?? defaultRowsPerChunk(classes);
  assertArgument(
    Number.isInteger(rowsPerChunk) && rowsPerChunk > 0,
    'INVALID_ARGUMENT',
    () => `shardCosine: rowsPerChunk must be a positive integer, got ${rowsPerChunk}`,
  );
  const variable = centres instanceof tf.Variable ? centres : undefined;
  const variableData = variable?.dataId;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [e, w] = args as [tf.Tensor2D, tf.Tensor2D];
    const squaredNorm = squaredRowNorms(w, rowsPerChunk); // [C, 1]
    // (Ê · Wᵀ) ⊙ 1/‖w‖ as a [1, C] row: the matMul reads W transposed in place (no Transpose kernel).
    const cosine = tf.mul(tf.matMul(normalizeRows(e).unit, w, false, true), tf.reshape(inverseNorm(squaredNorm), [1, classes])) as tf.Tensor2D;
    (args[2] as tf.GradSaveFunc)(variable === undefined ? [e, squaredNorm, cosine, w] : [e, squaredNorm, cosine]);
    return {
      value: tf.clipByValue(cosine, -1, 1),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [savedE, savedSquaredNorm, savedCosine] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
          const weight = variable ?? (saved[3] as tf.Tensor2D);
          if (variable !== undefined && (variable.isDisposed || variable.dataId !== variableData)) {
            throw new BigFaceError(
              'INVALID_STATE',
              `shardCosine: the centres variable '${variable.name}' was disposed or reassigned between the forward and the backward pass; take gradients before updating it`,
            );
          }
          // The [B, C] and [C, B] temporaries die here, before the [C, D] work below.
          const { scaledTransposed, radial } = tf.tidy(() => {
            const inverse = inverseNorm(savedSquaredNorm);
            // clipByValue passes the gradient where −1 ≤ c ≤ 1 (as torch.clamp).
            const g = tf.mul(dy, tf.cast(tf.lessEqual(tf.abs(savedCosine), 1), 'float32')) as tf.Tensor2D; // [B, C]
            // ⟨Σ_b G_bc ê_b, ŵ_c⟩ = Σ_b G_bc cos_bc; zero where the norm was clamped (it is constant there).
            const live = tf.cast(tf.greater(savedSquaredNorm, 1e-24), 'float32');
            const along = tf.reshape(tf.sum(tf.mul(g, savedCosine), 0), [classes, 1]);
            return {
              scaledTransposed: tf.mul(tf.transpose(g), inverse) as tf.Tensor2D, // Gₛᵀ [C, B]
              radial: tf.mul(along, tf.mul(live, tf.square(inverse))) as tf.Tensor2D, // [C, 1]
            };
          });
          const rowsE = normalizeRows(savedE);
          const gradientE = tf.tidy(() => normalizeRowsBackward(rowsE, tf.matMul(scaledTransposed, weight, true, false) as tf.Tensor2D));
          const gradientW = chunked(classes, rowsPerChunk, (start, count) => {
            const whole = classes <= rowsPerChunk;
            const part = (x: tf.Tensor2D, width: number) => (whole ? x : tf.slice(x, [start, 0], [count, width]));
            const radialPart = part(radial, 1);
            const tangential = tf.matMul(part(scaledTransposed, scaledTransposed.shape[1]), rowsE.unit);
            const radialTerm = tf.mul(part(weight, dimension), radialPart);
            return tf.sub(tangential, radialTerm) as tf.Tensor2D;
          });
          return [gradientE, gradientW];
        }),
    };
  });
  return op(embeddings, centres) as tf.Tensor2D;
}

function inverseNorm(squaredNorm: tf.Tensor2D): tf.Tensor2D {
  return tf.div(1, tf.sqrt(tf.maximum(squaredNorm, 1e-24))) as tf.Tensor2D;
}
