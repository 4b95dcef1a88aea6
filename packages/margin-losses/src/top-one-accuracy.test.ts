import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { topOneAccuracy } from './top-one-accuracy';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('topOneAccuracy', () => {
  it('counts labelled rows whose argmax is the label', () => {
    const before = tf.memory().numTensors;
    const logits = [
      [0.9, 0.1, 0.0], // argmax 0, label 0: right
      [0.3, 0.7, 0.1], // argmax 1, label 2: wrong
      [0.2, 0.1, 0.6], // unlabeled
      [0.1, 0.2, 0.5], // argmax 2, label 2: right
    ];
    const accuracy = (labels: number[]) => tf.tidy(() => topOneAccuracy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32')).dataSync()[0]);
    expect(accuracy([0, 2, -1, 2])).toBeCloseTo(2 / 3, 6);
    expect(accuracy([-1, -1, -1, -1])).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
