import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tf } from '@bigface/backend';
import { batchNormTraining } from './batch-norm-training';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('batchNormTraining', () => {
  it('gradients agree with autodiff of the textbook formula and with finite differences', () => {
    const rng = new Rng(3);
    const x = tf.tensor(rng.fillNormal(new Float32Array(2 * 3 * 3 * 4), 0.5, 2), [2, 3, 3, 4]);
    const gamma = tf.tensor1d([0.5, 1, 1.5, 2]);
    const beta = tf.tensor1d([0.1, -0.2, 0.3, 0]);
    const weights = tf.tensor(rng.fillNormal(new Float32Array(x.size)), x.shape);
    const before = tf.memory().numTensors;
    const textbook = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.sum(tf.mul(tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b), weights));
    };
    const ours = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(batchNormTraining(a, g, b, 1e-5), weights));
    const expected = tf.grads(textbook)([x, gamma, beta]);
    const actual = tf.grads(ours)([x, gamma, beta]);
    for (let i = 0; i < 3; i++) {
      const e = expected[i]!.dataSync();
      const a = actual[i]!.dataSync();
      for (let j = 0; j < e.length; j++) expect(Math.abs(a[j]! - e[j]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(e[j]!)));
    }
    // Finite difference on one input element: d loss / d x[5].
    const xData = x.dataSync();
    const at = (delta: number): number =>
      tf.tidy(() => {
        const shifted = xData.slice();
        shifted[5] = shifted[5]! + delta;
        return ours(tf.tensor(shifted, x.shape), gamma, beta).dataSync()[0]!;
      });
    const h = 1e-2;
    expect(actual[0]!.dataSync()[5]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 2);
    tf.dispose([...expected, ...actual]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta, weights]);
  });
});
