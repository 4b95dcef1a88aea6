import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { finiteDifference, relativeError } from '../test/helpers';
import { SAFE_ACOS_EPSILON, safeAcos } from './safe-acos';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('safeAcos', () => {
  const inside = [-0.999, -0.7, -0.3, 0, 0.2, 0.5, 0.9, 0.999];

  it('has the value of Math.acos', () => {
    const before = tf.memory().numTensors;
    const value = tf.tidy(() => safeAcos(tf.tensor1d([-1, ...inside, 1])).dataSync());
    const expected = [-1, ...inside, 1].map(Math.acos);
    for (let i = 0; i < expected.length; i++) expect(value[i]).toBeCloseTo(expected[i]!, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has the gradient −1/sqrt(1 − x²) inside (−1, 1), and agrees with a finite difference', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor1d(inside);
    // Weights make each coordinate's gradient distinct: d/dx_i Σ w_j acos(x_j) = −w_i/sqrt(1 − x_i²).
    const weights = tf.tensor1d(inside.map((_, i) => 1 + i / 4));
    const gradient = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(safeAcos(v), weights)))(x);
    const analytic = inside.map((v, i) => -(1 + i / 4) / Math.sqrt(1 - v * v));
    expect(relativeError(gradient.dataSync(), analytic)).toBeLessThan(1e-5);
    const f = (values: Float32Array) => tf.tidy(() => tf.sum(tf.mul(safeAcos(tf.tensor1d(values)), weights)).dataSync()[0]!);
    // h = 1e-4 keeps the step clear of ±1 from 0.999 (there the 3rd derivative is large).
    const numeric = finiteDifference(f, Float32Array.from(inside), 1e-4);
    expect(relativeError(gradient.dataSync(), numeric)).toBeLessThan(5e-3);
    tf.dispose([x, weights, gradient]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the gradient finite at exactly ±1 and zero outside [−1, 1]', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([-1, 1, -1.5, 1.25]);
    const gradient = tf.tidy(() =>
      tf
        .grad((v: tf.Tensor) => tf.sum(safeAcos(v)))(x)
        .dataSync(),
    );
    const cap = -1 / Math.sqrt(SAFE_ACOS_EPSILON); // −1000
    expect(gradient[0]).toBeCloseTo(cap, 2);
    expect(gradient[1]).toBeCloseTo(cap, 2);
    expect(gradient[2]).toBe(0);
    expect(gradient[3]).toBe(0);
    const value = tf.tidy(() => Array.from(safeAcos(x).dataSync()));
    expect(value).toEqual([Math.fround(Math.PI), 0, Math.fround(Math.PI), 0]);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
