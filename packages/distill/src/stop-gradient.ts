import { tf } from '@bigface/backend';

const frozenIdentity = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * The identity in the forward pass with a zero gradient: tfjs-core has no `stopGradient`, and a
 * teacher evaluated on the same tape must receive no gradient from the distillation loss.
 *
 * @example
 * const frozen = stopGradient(teacher(images)); // constant for tf.grad / tf.variableGrads
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return frozenIdentity(x) as T;
}
