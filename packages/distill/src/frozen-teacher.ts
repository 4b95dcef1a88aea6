import { assertArgument, tf } from '@bigface/backend';

/** A teacher backbone with a forward pass that takes a training flag, as `@bigface/resnet-zoo`'s `IResNet`. */
export interface TeacherModel {
  forward(images: tf.Tensor4D, options: { training: false }): tf.Tensor2D;
}

/**
 * Wraps a teacher so that it is frozen: an object with `forward(images, { training })` runs in eval
 * mode (BatchNorm uses its running statistics and updates nothing, no dropout), and the whole forward
 * pass runs off the gradient tape — called inside `tf.variableGrads` or `optimizer.minimize`, the
 * teacher's variables get no gradient (they do not even appear among the gradients, so an optimizer
 * with weight decay or momentum cannot move them) and the images get a zero gradient.
 * The returned function gives [B, D] embeddings; the caller disposes them.
 *
 * @example
 * const teacher = frozenTeacher(resnet600); // an IResNet from @bigface/resnet-zoo
 * const { value, grads } = tf.variableGrads(() => {
 *   const student = backbone.forward(images, { training: true });
 *   return bigFaceDistillObjective({ classificationLoss: head.forward(student, labels).loss, student, teacher: teacher(images) }).loss;
 * }); // grads holds the student's and the head's variables only
 */
export function frozenTeacher(teacher: TeacherModel | ((images: tf.Tensor4D) => tf.Tensor2D)): (images: tf.Tensor4D) => tf.Tensor2D {
  const run = typeof teacher === 'function' ? teacher : (images: tf.Tensor4D) => teacher.forward(images, { training: false });
  // Inside a customGrad forward the engine records nothing on the tape (its kernel depth is > 0), so
  // the teacher's ops and variables stay off it; the gradient to the images is zero.
  const offTape = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const images = inputs[0] as tf.Tensor4D;
    const embeddings = tf.tidy(() => run(images));
    assertArgument(
      embeddings.rank === 2 && embeddings.shape[0] === images.shape[0],
      'DISTILL_BAD_SHAPE',
      () => `frozenTeacher: the teacher returned shape [${embeddings.shape.join(', ')}] for ${images.shape[0]} images; expected [${images.shape[0]}, D]`,
    );
    return { value: embeddings, gradFunc: () => tf.zerosLike(images) };
  });
  return (images) => offTape(images) as tf.Tensor2D;
}
