import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@bigface/backend';
import { checkpoint } from './checkpoint';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('checkpoint', () => {
  it('gives the gradients of the wrapped function, for the input and the listed variables, without leaks', () => {
    const w = tf.variable(tf.tensor1d([0.5, -1, 2]), true, 'checkpoint-test/w');
    const f = (x: tf.Tensor): tf.Tensor => tf.tanh(tf.mul(tf.sin(x), w));
    const calls: boolean[] = [];
    const wrapped = checkpoint(
      (x, recomputing) => {
        calls.push(recomputing);
        return f(x);
      },
      [w],
    );
    const x = tf.tensor1d([0.1, 0.2, 0.3]);
    const before = tf.memory().numTensors;
    const loss = (g: (t: tf.Tensor) => tf.Tensor) => () => tf.sum(tf.square(g(tf.mul(x, 2)))) as tf.Scalar;
    const plain = tf.variableGrads(loss(f), [w]);
    const checkpointed = tf.variableGrads(loss(wrapped), [w]);
    expect(checkpointed.value.dataSync()[0]).toBe(plain.value.dataSync()[0]);
    expect(Array.from(checkpointed.grads[w.name]!.dataSync())).toEqual(Array.from(plain.grads[w.name]!.dataSync()));
    expect(calls).toEqual([false, true]); // forward once, recomputed once in backward
    // Gradient with respect to the input too (through the outer mul by 2).
    const dxPlain = tf.grad((t: tf.Tensor) => tf.sum(f(t)))(x);
    const dxCheckpointed = tf.grad((t: tf.Tensor) => tf.sum(wrapped(t)))(x);
    expect(Array.from(dxCheckpointed.dataSync())).toEqual(Array.from(dxPlain.dataSync()));
    tf.dispose([plain.value, checkpointed.value, ...Object.values(plain.grads), ...Object.values(checkpointed.grads), dxPlain, dxCheckpointed]);
    // Without a tape (plain inference), nothing is saved and nothing leaks.
    tf.dispose(wrapped(x));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});
