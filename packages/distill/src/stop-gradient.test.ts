import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { stopGradient } from './stop-gradient';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('stopGradient', () => {
  it('is the identity forward with zero gradient backward', () => {
    const before = tf.memory().numTensors;
    const [value, gradient] = tf.tidy(() => {
      const x = tf.tensor1d([1, -2]);
      // f = sum(x² + stop(x)·x): df/dx = 2x + stop(x) = 3x = (3, −6).
      const f = (t: tf.Tensor): tf.Scalar => tf.sum(tf.add(tf.square(t), tf.mul(stopGradient(t), t)));
      return [stopGradient(x).arraySync(), tf.grad(f)(x).arraySync()];
    });
    expect(value).toEqual([1, -2]);
    expect(gradient).toEqual([3, -6]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
