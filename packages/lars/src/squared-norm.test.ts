import { Rng, initBackend, tf } from '@bigface/backend';
import { afterAll, describe, expect, it } from 'vitest';
import { squaredNorm } from './squared-norm';

afterAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** Σ x² in float64, the reference. */
function exactSquaredNorm(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return sum;
}

describe('squaredNorm', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`matches a float64 sum on ${backend}, where a single float32 running sum stalls`, async () => {
      await initBackend({ backend });
      // One large entry, then a million ones: each 1 is below half an ulp of 1e8, so a running
      // float32 sum that meets the large entry first never moves again (off by 1 %).
      const rows = 2048;
      const columns = 512;
      const values = new Float32Array(rows * columns).fill(1);
      values[0] = 1e4;
      const before = tf.memory().numTensors;
      const x = tf.tensor2d(values, [rows, columns]);
      const exact = exactSquaredNorm(values);
      const result = squaredNorm(x);
      expect(result.shape).toEqual([]);
      expect(Math.abs(result.dataSync()[0]! - exact) / exact).toBeLessThan(1e-5);
      // Random rows, and other ranks: 1-D, 4-D (a conv kernel).
      const rng = new Rng(3);
      for (const shape of [[777], [3, 3, 16, 32], [300, 64]]) {
        const random = new Float32Array(shape.reduce((a, b) => a * b, 1));
        rng.fillNormal(random, 0, 0.1);
        const tensor = tf.tensor(random, shape);
        const value = squaredNorm(tensor);
        expect(Math.abs(value.dataSync()[0]! - exactSquaredNorm(random)) / exactSquaredNorm(random)).toBeLessThan(1e-5);
        tf.dispose([tensor, value]);
      }
      tf.dispose([x, result]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('shows why: one float32 reduction of the same tensor on wasm is off by about 1 %', async () => {
    await initBackend({ backend: 'wasm' });
    const values = new Float32Array(2048 * 512).fill(1);
    values[0] = 1e4;
    const exact = exactSquaredNorm(values);
    const single = tf.tidy(() => tf.sum(tf.square(tf.tensor1d(values))).dataSync()[0]!);
    // If tfjs's wasm Sum ever accumulates in higher precision this documents it (and the two-level
    // sum stays correct either way).
    expect(Math.abs(single - exact) / exact).toBeGreaterThan(1e-3);
  });
});
