import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { flipAveragedEmbeddings } from './flip-averaged-embeddings';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

// A non-linear "network" on 1×2×1 images (a, b): embed = (a, b², 1).
const embed = (images: tf.Tensor4D): tf.Tensor2D =>
  tf.tidy(() => {
    const [a, b] = tf.split(tf.reshape(images, [images.shape[0], 2]), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return tf.concat([a, tf.square(b), tf.onesLike(a)], 1) as tf.Tensor2D;
  });

describe('flipAveragedEmbeddings', () => {
  it('is normalise(embed(x) + embed(flip x)) in any batch size, without leaks', () => {
    // (1, 2): (1, 4, 1) + (2, 1, 1) = (3, 5, 2), |·| = √38. (0, 3): (0, 9, 1) + (3, 0, 1) = (3, 9, 2), |·| = √94.
    // (−1, 1): (−1, 1, 1) + (1, 1, 1) = (0, 2, 2), |·| = √8.
    const expected = [[3, 5, 2].map((v) => v / Math.sqrt(38)), [3, 9, 2].map((v) => v / Math.sqrt(94)), [0, 2, 2].map((v) => v / Math.sqrt(8))];
    const images = tf.tensor4d([1, 2, 0, 3, -1, 1], [3, 1, 2, 1]);
    const before = tf.memory().numTensors;
    for (const batchSize of [1, 2, 64]) {
      const result = flipAveragedEmbeddings(embed, images, { batchSize });
      const rows = result.arraySync();
      expected.forEach((row, i) => { row.forEach((value, k) => { expect(rows[i]![k]).toBeCloseTo(value, 6); }); });
      result.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    images.dispose();
  });

  it('names a bad input', () => {
    expect(() => flipAveragedEmbeddings(embed, tf.zeros([2, 2]) as unknown as tf.Tensor4D)).toThrow(/images must be NHWC \(rank 4\), got shape \[2, 2\]/);
  });
});
