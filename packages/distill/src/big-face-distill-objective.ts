import { assertArgument, tf } from '@bigface/backend';
import { angularDistillationLoss } from './angular-distillation-loss';

/** Arguments of {@link bigFaceDistillObjective}. */
export interface BigFaceDistillObjectiveOptions {
  /**
   * The classification loss of the batch's labelled rows, computed elsewhere — e.g.
   * `PartialFC.forward(...).loss` or `maskedSoftmaxCrossEntropy(cosFace()(...), labels)`, both of
   * which already skip rows labelled −1.
   */
  classificationLoss: tf.Scalar;
  /** Student embeddings [B, Ds] (all rows: labelled and unlabeled). */
  student: tf.Tensor2D;
  /** Teacher embeddings [B, Dt] from a frozen teacher or a {@link TeacherEmbeddingCache}; never receives a gradient. */
  teacher: tf.Tensor2D;
  /** Weight of the distillation term; default 9, as the BigFace recipe. */
  lambda?: number;
  /**
   * Optional row mask [B] (bool or 0/1). By default the distillation term covers every row — the
   * semi-supervised setting, where unlabeled images learn only from the teacher. Pass the labelled
   * mask here to distil on labelled rows only (an ablation).
   */
  labelled?: tf.Tensor1D;
  /** Maps the student into the teacher's embedding space when their sizes differ (see EmbeddingProjection). */
  projection?: (student: tf.Tensor2D) => tf.Tensor2D;
}

/** The three scalars of one step; `loss` is what to differentiate. */
export interface BigFaceDistillObjective {
  loss: tf.Scalar;
  classificationLoss: tf.Scalar;
  distillationLoss: tf.Scalar;
}

/**
 * The BigFace training objective `L = L_CosFace + λ·L_distill` (λ = 9), with
 * `L_distill = mean_rows ||s/|s| − t/|t|||²` over all rows, labelled or not (the classification
 * loss only sees labelled rows, so unlabeled rows get the distillation gradient alone).
 *
 * @example
 * const { value, grads } = tf.variableGrads(() => {
 *   const student = backbone(images);
 *   const classificationLoss = head.forward(student, labels).loss; // PartialFC, label −1 = unlabeled
 *   return bigFaceDistillObjective({ classificationLoss, student, teacher: cache.lookup(ids) }).loss;
 * });
 */
export function bigFaceDistillObjective(options: BigFaceDistillObjectiveOptions): BigFaceDistillObjective {
  const { classificationLoss, student, teacher, lambda = 9, labelled, projection } = options;
  assertArgument(
    Number.isFinite(lambda) && lambda >= 0,
    'DISTILL_BAD_LAMBDA',
    () => `bigFaceDistillObjective: lambda must be a finite number ≥ 0, got ${lambda}`,
  );
  assertArgument(
    classificationLoss.rank === 0,
    'DISTILL_BAD_SHAPE',
    () => `bigFaceDistillObjective: classificationLoss must be a scalar, got shape [${classificationLoss.shape.join(', ')}]`,
  );
  return tf.tidy(() => {
    const projected = projection === undefined ? student : projection(student);
    const distillationLoss = angularDistillationLoss(projected, teacher, labelled === undefined ? undefined : tf.cast(labelled, 'float32'));
    const loss = tf.add(classificationLoss, tf.mul(distillationLoss, lambda)) as tf.Scalar;
    return { loss, classificationLoss: tf.clone(classificationLoss), distillationLoss };
  });
}
