import { tf } from '@bigface/backend';

/**
 * Gradient checkpointing: wraps `fn` so that its intermediate activations are freed after the
 * forward pass and recomputed during backward (under `tf.grads`), trading compute for memory.
 * Gradients are identical to those of `fn` itself. `fn` receives `recomputing = true` on the
 * backward re-run, so it can skip side effects such as BatchNorm running-statistics updates.
 * `variables` must list every trainable variable `fn` reads, or their gradients are lost.
 *
 * @example
 * import { tf } from '@bigface/backend';
 * import { checkpoint } from '@bigface/resnet-zoo';
 * const w = tf.variable(tf.ones([3]));
 * const f = checkpoint((x) => tf.tanh(tf.mul(x, w)), [w]);
 * const { grads } = tf.variableGrads(() => tf.sum(f(tf.ones([3]))));
 */
export function checkpoint(fn: (input: tf.Tensor, recomputing: boolean) => tf.Tensor, variables: readonly tf.Variable[]): (input: tf.Tensor) => tf.Tensor {
  return (input) => {
    const wrapped = tf.customGrad((...args: unknown[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const x = args[0] as tf.Tensor;
      save([x]);
      const value = fn(x, false);
      return {
        value,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const savedInput = saved[0]!;
          const sources: tf.Tensor[] = [savedInput, ...variables];
          // A gradient function runs with the outer tape closed; engine.gradients would replace the
          // outer tape with its own and null it afterwards, so keep the outer one and restore it.
          const engine = tf.engine() as unknown as { state: { activeTape: unknown } };
          const outerTape = engine.state.activeTape;
          try {
            const { value: recomputed, grads } = tf.engine().gradients(() => fn(savedInput, true), sources, dy as tf.Tensor, true);
            recomputed.dispose();
            return sources.map((source, i) => grads[i] ?? tf.zerosLike(source));
          } finally {
            engine.state.activeTape = outerTape;
          }
        },
      };
    });
    return wrapped(input, ...variables);
  };
}
