import { assertArgument, tf } from '@bigface/backend';
import { normalizeRows } from './normalize-rows';
import { stopGradient } from './stop-gradient';

/**
 * Angular (feature) distillation loss of the BigFace recipe: the mean over rows of
 * `||s/|s| − t/|t|||²` (= 2 − 2·cos(s, t)), rows normalised as PyTorch's `F.normalize`
 * (MFR-ICCV2021 / WebFace260M track, https://arxiv.org/abs/2110.11001 — "CosFace + 9·distill").
 * The teacher is a constant: no gradient flows into it, even when it was computed on the same
 * tape. `weights` (optional, [B], e.g. a 0/1 mask) gives a weighted mean
 * `Σ wᵢ·dᵢ / max(Σ wᵢ, 1)` instead of the plain mean.
 *
 * @example
 * const loss = angularDistillationLoss(student(images), teacherEmbeddings); // scalar in [0, 4]
 */
export function angularDistillationLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, weights?: tf.Tensor1D): tf.Scalar {
  assertArgument(
    student.rank === 2 && teacher.rank === 2,
    'DISTILL_BAD_SHAPE',
    () => `angularDistillationLoss: student and teacher must be rank 2 [B, D], got [${student.shape.join(', ')}] and [${teacher.shape.join(', ')}]`,
  );
  assertArgument(
    student.shape[0] === teacher.shape[0] && student.shape[1] === teacher.shape[1],
    'DISTILL_BAD_SHAPE',
    () =>
      `angularDistillationLoss: student [${student.shape.join(', ')}] and teacher [${teacher.shape.join(', ')}] differ in shape; if the embedding sizes differ, project the student first (EmbeddingProjection)`,
  );
  assertArgument(
    weights === undefined || (weights.rank === 1 && weights.shape[0] === student.shape[0]),
    'DISTILL_BAD_SHAPE',
    () => `angularDistillationLoss: weights must be [${student.shape[0]}], got [${weights!.shape.join(', ')}]`,
  );
  return tf.tidy(() => {
    const perRow = tf.sum(tf.square(tf.sub(normalizeRows(student), normalizeRows(stopGradient(teacher)))), 1);
    if (weights === undefined) return tf.mean(perRow) as tf.Scalar;
    const w = tf.cast(weights, 'float32');
    return tf.div(tf.sum(tf.mul(perRow, w)), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
  });
}
