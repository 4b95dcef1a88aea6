import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { cosFace } from './cos-face';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('cosFace', () => {
  it('defaults to s = 64, m = 0.4: target 64·(cos θ − 0.4), others 64·cos θ', () => {
    const before = tf.memory().numTensors;
    const logits = tf.tidy(() =>
      cosFace()(
        tf.tensor2d([
          [0.5, 0.25],
          [0.75, -0.5],
        ]),
        tf.tensor1d([1, -1], 'int32'),
      ).arraySync(),
    );
    // Row 0: 64·0.5 = 32, 64·(0.25 − 0.4) = −9.6. Row 1 is unlabeled: 48, −32.
    expect(logits[0]![0]).toBe(32);
    expect(logits[0]![1]).toBeCloseTo(-9.6, 5);
    expect(logits[1]).toEqual([48, -32]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names its own argument in errors', () => {
    expect(() => cosFace({ m: Number.POSITIVE_INFINITY })).toThrow(/cosFace: m must be a finite number/);
  });
});
