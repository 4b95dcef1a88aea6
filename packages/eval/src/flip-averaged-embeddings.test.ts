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
      expected.forEach((row, i) => {
        row.forEach((value, k) => {
          expect(rows[i]![k]).toBeCloseTo(value, 6);
        });
      });
      result.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    images.dispose();
  });

  it('mirrors RGB images exactly as tf.reverse over the width does', () => {
    const images = tf.randomUniform([5, 6, 7, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const projection = tf.randomNormal([6 * 7 * 3, 4], 0, 1, 'float32', 4);
    const linear = (x: tf.Tensor4D) => tf.matMul(tf.reshape(x, [x.shape[0], -1]), projection) as tf.Tensor2D;
    const result = flipAveragedEmbeddings(linear, images, { batchSize: 2 });
    const expected = tf.tidy(() => {
      const sum = tf.add(linear(images), linear(tf.reverse(images, 2)));
      return tf.div(sum, tf.norm(sum, 2, 1, true));
    });
    expect(tf.max(tf.abs(tf.sub(result, expected))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([images, projection, result, expected]);
  });

  it('names a bad input', () => {
    expect(() => flipAveragedEmbeddings(embed, tf.zeros([2, 2]) as unknown as tf.Tensor4D)).toThrow(/images must be NHWC \(rank 4\), got shape \[2, 2\]/);
  });
});
