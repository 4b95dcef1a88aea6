import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { arcFace } from './arc-face';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('arcFace', () => {
  it('defaults to s = 64, m = 0.5: target 64·cos(θ + 0.5), others 64·cos θ', () => {
    const before = tf.memory().numTensors;
    const logits = tf.tidy(() =>
      arcFace()(
        tf.tensor2d([
          [0.5, 0.25],
          [1, -1],
        ]),
        tf.tensor1d([0, 0], 'int32'),
      ).arraySync(),
    );
    // Row 0: θ = π/3, 64·cos(π/3 + 0.5) = 64·(0.5·cos 0.5 − (√3/2)·sin 0.5) ≈ 1.513. Row 1: θ = 0 → 64·cos 0.5.
    expect(logits[0]![0]).toBeCloseTo(64 * Math.cos(Math.PI / 3 + 0.5), 4);
    expect(logits[0]![1]).toBe(16);
    expect(logits[1]![0]).toBeCloseTo(64 * Math.cos(0.5), 4);
    expect(logits[1]![1]).toBe(-64);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names its own argument in errors', () => {
    expect(() => arcFace({ s: -1 })).toThrow(/arcFace: s must be positive/);
    expect(() => arcFace({ m: Number.NaN })).toThrow(/arcFace: m must be a finite number/);
  });
});
