import { initBackend, tf } from '@bigface/backend';
import { describe, expect, it } from 'vitest';
import { targetMask } from './target-mask';

describe.each(['cpu', 'wasm'] as const)('targetMask on %s', (backend) => {
  it('is a float32 one-hot with zero rows for −1 (wasm’s float32 OneHot writes int bits)', async () => {
    await initBackend({ backend });
    const before = tf.memory().numTensors;
    const mask = tf.tidy(() => {
      const m = targetMask(tf.tensor1d([2, -1, 0], 'int32'), 3);
      return { dtype: m.dtype, values: Array.from(m.dataSync()) };
    });
    expect(mask.dtype).toBe('float32');
    expect(mask.values).toEqual([0, 0, 1, 0, 0, 0, 1, 0, 0]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
