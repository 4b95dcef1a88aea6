import { Rng, initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeRows, normalizeRowsBackward } from './normalize-rows';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('normalizeRows / normalizeRowsBackward', () => {
  it('divides rows by max(|x|, 1e-12) and gives the gradient autodiff gives through x / |x|', () => {
    const rng = new Rng(4);
    const values = Array.from({ length: 4 * 5 }, () => rng.normal());
    for (let i = 10; i < 15; i++) values[i] = 0; // a zero row: unit 0, not live
    const upstream = Array.from({ length: 4 * 5 }, () => rng.normal());
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor2d(values, [4, 5]);
      const g = tf.tensor2d(upstream, [4, 5]);
      const rows = normalizeRows(x);
      const norms = tf.sqrt(tf.sum(tf.square(rows.unit), 1)).arraySync() as number[];
      expect(norms[0]).toBeCloseTo(1, 6);
      expect(norms[2]).toBe(0);
      expect(Array.from(rows.live.dataSync())).toEqual([1, 1, 0, 1]);
      // Independent formulation: autodiff through the plain expression.
      const reference = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.div(input, tf.sqrt(tf.maximum(tf.sum(tf.square(input), 1, true), 1e-24))), g)))(x);
      const ours = normalizeRowsBackward(rows, g).dataSync();
      reference.dataSync().forEach((value, i) => {
        expect(ours[i]).toBeCloseTo(value, 5);
      });
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
