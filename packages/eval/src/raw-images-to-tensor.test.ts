import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { rawImagesToTensor } from './raw-images-to-tensor';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('rawImagesToTensor', () => {
  it('normalises to (x/255 − 0.5)/0.5 in NHWC and drops alpha (hand-computed)', () => {
    // 0 → −1, 255 → 1, 51 → (0.2 − 0.5)/0.5 = −0.6, 204 → (0.8 − 0.5)/0.5 = 0.6.
    const rgb = { data: new Uint8Array([0, 255, 51, 204, 0, 255]), width: 2, height: 1, channels: 3 as const };
    const rgba = { data: new Uint8Array([51, 51, 51, 7, 204, 204, 204, 9]), width: 2, height: 1, channels: 4 as const };
    const before = tf.memory().numTensors;
    const tensor = rawImagesToTensor([rgb, rgba]);
    expect(tensor.shape).toEqual([2, 1, 2, 3]);
    const values = Array.from(tensor.dataSync());
    [-1, 1, -0.6, 0.6, -1, 1, -0.6, -0.6, -0.6, 0.6, 0.6, 0.6].forEach((expected, index) => {
      expect(values[index]).toBeCloseTo(expected, 6);
    });
    tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses images of different sizes', () => {
    const a = { data: new Uint8Array(12), width: 2, height: 2, channels: 3 as const };
    const b = { data: new Uint8Array(9), width: 3, height: 1, channels: 3 as const };
    expect(() => rawImagesToTensor([a, b])).toThrow(/image 1 is 3×1 but image 0 is 2×2/);
  });
});
