// Reordered filters kept across calls (inference): a hit only for the very same filter array, never
// for another tensor that happens to reuse its memory (the output pool recycles buffers).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeAddon, nativeCpuStatus, registerNativeCpuKernels, releaseNativeBufferPool, unregisterNativeCpuKernels } from '../src/index';
import { cpuTensorValues, type CpuBackend } from '../src/tfjs-internals';

const status = nativeCpuStatus();
const skipReason = status.available ? '' : ` (SKIPPED: addon not built: ${status.reason})`;

/** A filter computed by a native kernel (so that its buffer comes from, and returns to, the pool). */
const filterOf = (seed: number) => tf.tidy(() => tf.mul(tf.randomNormal([3, 3, 32, 32], 0, 0.2, 'float32', seed), 1) as tf.Tensor4D);
const bufferOf = (t: tf.Tensor) => (cpuTensorValues(tf.backend() as unknown as CpuBackend, t) as Float32Array).buffer;

describe.skipIf(!status.available)(`native reordered-filter cache${skipReason}`, () => {
  const addon = nativeAddon()!;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
    registerNativeCpuKernels();
    releaseNativeBufferPool({ capBytes: 2 ** 30 });
  });
  afterAll(() => {
    addon.weightsCache(2 ** 30);
    unregisterNativeCpuKernels();
  });

  it('keeps a filter from its second use on, gives the same outputs, and never serves it for another array in the same memory', () => {
    addon.weightsCache(0);
    addon.weightsCache(2 ** 30);
    const x = tf.randomNormal([2, 16, 16, 32], 0, 1, 'float32', 3) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const first = filterOf(1);
    const outputs = [0, 1, 2].map(() => tf.conv2d(x, first, 1, 'same'));
    expect(addon.weightsCache().entries).toBe(1);
    const reference = Array.from(outputs[0]!.dataSync());
    for (const y of outputs) expect(Array.from(y.dataSync())).toEqual(reference);
    // Another filter in the very buffer the first one had (recycled): its own values must be used.
    const memory = bufferOf(first);
    tf.dispose([first, ...outputs]);
    const second = filterOf(2);
    expect(bufferOf(second)).toBe(memory);
    const fromCache = [0, 1].map(() => tf.conv2d(x, second, 1, 'same'));
    addon.weightsCache(0); // off: every call reorders
    const uncached = tf.conv2d(x, second, 1, 'same');
    for (const y of fromCache) expect(Array.from(y.dataSync())).toEqual(Array.from(uncached.dataSync()));
    expect(Array.from(uncached.dataSync())).not.toEqual(reference);
    tf.dispose([second, ...fromCache, uncached]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('notices a filter written in place through dataSync() (against tfjs immutability) and reorders it again', () => {
    addon.weightsCache(2 ** 30);
    const x = tf.randomNormal([1, 8, 8, 32], 0, 1, 'float32', 6) as tf.Tensor4D;
    const w = filterOf(7);
    const before = tf.tidy(() => [tf.conv2d(x, w, 1, 'same'), tf.conv2d(x, w, 1, 'same')].map((y) => Array.from(y.dataSync())));
    expect(before[1]).toEqual(before[0]);
    const replacement = filterOf(8);
    (w.dataSync() as Float32Array).set(replacement.dataSync()); // an in-place "weight load"
    const after = tf.tidy(() => Array.from(tf.conv2d(x, w, 1, 'same').dataSync()));
    const expected = tf.tidy(() => Array.from(tf.conv2d(x, replacement, 1, 'same').dataSync()));
    expect(after).toEqual(expected);
    expect(after).not.toEqual(before[0]);
    tf.dispose([x, w, replacement]);
  });

  it('drops a filter on dropWeights and keeps within its cap', () => {
    addon.weightsCache(2 ** 30);
    const x = tf.randomNormal([1, 8, 8, 32], 0, 1, 'float32', 4) as tf.Tensor4D;
    const w = filterOf(5);
    tf.dispose([tf.conv2d(x, w, 1, 'same'), tf.conv2d(x, w, 1, 'same')]);
    const kept = addon.weightsCache();
    expect(kept.entries).toBeGreaterThan(0);
    expect(kept.bytes).toBeLessThanOrEqual(kept.capBytes);
    for (let id = 1; id < 10_000; id++) addon.dropWeights(id);
    expect(addon.weightsCache()).toMatchObject({ entries: 0, bytes: 0 });
    expect(() => addon.weightsCache(-1)).toThrow(/capBytes/);
    tf.dispose([x, w]);
  });
});
