import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { targetLogits } from './target-logits';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('targetLogits', () => {
  it('picks each row’s logit at its label, 0 for −1, and sums to the full target across shards', () => {
    const before = tf.memory().numTensors;
    const logits = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ];
    const labels = [2, -1, 1];
    const full = tf.tidy(() => Array.from(targetLogits(tf.tensor2d(logits), tf.tensor1d(labels, 'int32')).dataSync()));
    expect(full).toEqual([3, 0, 10]);
    // Shards [0, 2) and [2, 4) with re-based labels: exactly one shard holds each target.
    const shard = (start: number) =>
      tf.tidy(() =>
        Array.from(
          targetLogits(
            tf.tensor2d(logits.map((row) => row.slice(start, start + 2))),
            tf.tensor1d(
              labels.map((l) => (l >= start && l < start + 2 ? l - start : -1)),
              'int32',
            ),
          ).dataSync(),
        ),
      );
    const [a, b] = [shard(0), shard(2)];
    expect(a.map((v, i) => v + b[i]!)).toEqual(full);
    expect(tf.memory().numTensors).toBe(before);
  });
});
