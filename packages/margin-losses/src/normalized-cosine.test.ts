import { Rng, initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { finiteDifference, relativeError } from '../test/helpers';
import { normalizedCosine } from './normalized-cosine';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** cos(a_i, b_j) = a_i·b_j / (|a_i| |b_j|), in double precision. */
function cosineMatrix(a: number[][], b: number[][]): number[] {
  const norm = (v: number[]) => Math.hypot(...v);
  return a.flatMap((u) => b.map((v) => u.reduce((sum, x, k) => sum + x * v[k]!, 0) / (norm(u) * norm(v))));
}

describe('normalizedCosine', () => {
  const rng = new Rng(11);
  const embeddings = Array.from({ length: 3 }, () => Array.from({ length: 6 }, () => rng.normal()));
  const centres = Array.from({ length: 5 }, () => Array.from({ length: 6 }, () => rng.normal()));

  it('is the cosine of every embedding with every centre', () => {
    const before = tf.memory().numTensors;
    const actual = tf.tidy(() => normalizedCosine(tf.tensor2d(embeddings), tf.tensor2d(centres)).dataSync());
    expect(relativeError(actual, cosineMatrix(embeddings, centres))).toBeLessThan(1e-6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stays in [−1, 1] for parallel vectors and is finite (0) for a zero vector', () => {
    const before = tf.memory().numTensors;
    const e = tf.tensor2d([
      [3, 4, 0],
      [0, 0, 0],
    ]);
    const c = tf.tensor2d([
      [0.3, 0.4, 0],
      [-6, -8, 0],
    ]);
    const value = tf.tidy(() => Array.from(normalizedCosine(e, c).dataSync()));
    expect(value).toEqual([1, -1, 0, 0]);
    const gradient = tf.tidy(() =>
      tf
        .grad((v: tf.Tensor) => tf.sum(normalizedCosine(v as tf.Tensor2D, c)))(e)
        .dataSync(),
    );
    expect(Array.from(gradient).every(Number.isFinite)).toBe(true);
    tf.dispose([e, c]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has gradients in both arguments that agree with a finite difference', () => {
    const before = tf.memory().numTensors;
    const e = tf.tensor2d(embeddings);
    const c = tf.tensor2d(centres);
    const weights = tf.tensor2d(rng.fillNormal(new Float32Array(15)), [3, 5]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(normalizedCosine(a as tf.Tensor2D, b as tf.Tensor2D), weights));
    const [gradientE, gradientC] = tf.grads(f)([e, c]);
    const numericE = finiteDifference((v) => tf.tidy(() => f(tf.tensor2d(v, [3, 6]), c).dataSync()[0]!), Float32Array.from(embeddings.flat()), 1e-2);
    const numericC = finiteDifference((v) => tf.tidy(() => f(e, tf.tensor2d(v, [5, 6])).dataSync()[0]!), Float32Array.from(centres.flat()), 1e-2);
    expect(relativeError(gradientE!.dataSync(), numericE)).toBeLessThan(2e-3);
    expect(relativeError(gradientC!.dataSync(), numericC)).toBeLessThan(2e-3);
    tf.dispose([e, c, weights, gradientE!, gradientC!]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects mismatched dimensions', () => {
    const e = tf.zeros([2, 4]) as tf.Tensor2D;
    const c = tf.zeros([3, 5]) as tf.Tensor2D;
    expect(() => normalizedCosine(e, c)).toThrow(/embeddings have dimension 4 but centres have 5/);
    tf.dispose([e, c]);
  });
});
