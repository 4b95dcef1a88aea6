// The native kernels' output pool: buffers come back only when no tensor holds them and no user
// code was handed them; results are the same with the pool on and off.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nativeBufferPoolStats, nativeCpuStatus, registerNativeCpuKernels, releaseNativeBufferPool, unregisterNativeCpuKernels } from '../src/index';
import { cpuTensorValues, type CpuBackend } from '../src/tfjs-internals';

const status = nativeCpuStatus();
const skipReason = status.available ? '' : ` (SKIPPED: addon not built: ${status.reason})`;
const GiB = 2 ** 30;

/** The ArrayBuffer behind a cpu tensor, without reading it through readSync (which would mark it escaped). */
const bufferOf = (t: tf.Tensor) => (cpuTensorValues(tf.backend() as unknown as CpuBackend, t) as Float32Array).buffer;
const ramp = (n: number, shape: number[]) =>
  tf.tensor(
    Float32Array.from({ length: n }, (_, i) => (i % 97) / 97 - 0.5),
    shape,
  );

describe.skipIf(!status.available)(`native output buffer pool${skipReason}`, () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
    registerNativeCpuKernels();
  });
  afterAll(() => {
    releaseNativeBufferPool({ capBytes: GiB });
    unregisterNativeCpuKernels();
  });
  beforeEach(() => releaseNativeBufferPool({ capBytes: GiB }));

  it('reuses the buffer of a disposed output for the next output of the same size', () => {
    const before = tf.memory().numTensors;
    const x = ramp(64 * 100, [100, 64]);
    const first = tf.square(x);
    const buffer = bufferOf(first);
    first.dispose();
    const stats = nativeBufferPoolStats();
    const second = tf.square(x);
    expect(bufferOf(second)).toBe(buffer);
    expect(nativeBufferPoolStats().reused).toBe(stats.reused + 1);
    // Every element rewritten: x² of the ramp, not what the buffer held before.
    const expected = Array.from(x.dataSync(), (v) => Math.fround(v * v));
    expect(Array.from(second.dataSync())).toEqual(expected);
    second.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps a buffer while a contiguous slice (a view of it) is alive', () => {
    const x = ramp(64 * 100, [100, 64]);
    const y = tf.square(x);
    const slice = tf.slice(y, [10, 0], [20, 64]); // tfjs-backend-cpu: a subarray of y's buffer
    const buffer = bufferOf(y);
    expect(bufferOf(slice)).toBe(buffer);
    y.dispose();
    const other = tf.add(x, x); // same size as y: must not get y's buffer while the slice holds it
    expect(bufferOf(other)).not.toBe(buffer);
    const expected = Array.from(x.dataSync().subarray(640, 640 + 20 * 64), (v) => Math.fround(v * v));
    expect(Array.from(slice.dataSync())).toEqual(expected);
    tf.dispose([slice, other, x]);
  });

  it('never recycles a buffer user code was handed (dataSync, data, array)', async () => {
    const x = ramp(64 * 100, [100, 64]);
    for (const read of [(t: tf.Tensor) => t.dataSync(), async (t: tf.Tensor) => t.data()] as const) {
      const y = tf.square(x);
      const kept = (await read(y)) as Float32Array;
      const copy = Float32Array.from(kept);
      y.dispose();
      const next = [tf.square(x), tf.mul(x, x), tf.add(x, x)];
      for (const t of next) expect(bufferOf(t)).not.toBe(kept.buffer);
      expect(kept).toEqual(copy);
      tf.dispose(next);
    }
    x.dispose();
  });

  it('recycles a buffer shared by reshapes only after the last one is disposed', () => {
    const x = ramp(64 * 100, [100, 64]);
    const y = tf.square(x);
    const reshaped = tf.reshape(y, [6400]);
    const buffer = bufferOf(y);
    y.dispose();
    const other = tf.square(x);
    expect(bufferOf(other)).not.toBe(buffer);
    reshaped.dispose();
    const third = tf.square(x);
    expect(bufferOf(third)).toBe(buffer);
    tf.dispose([other, third, x]);
  });

  it('a full pool drops the sizes asked for least recently, so that new sizes still get recycled', () => {
    const small = ramp(64 * 100, [100, 64]); // 25 600-byte outputs
    const large = ramp(64 * 200, [200, 64]); // 51 200-byte outputs
    releaseNativeBufferPool({ capBytes: 2 * 25_600 });
    tf.dispose([tf.square(small), tf.square(small)]);
    expect(nativeBufferPoolStats().freeBytes).toBe(2 * 25_600); // full of the small size
    const first = tf.square(large);
    const buffer = bufferOf(first);
    first.dispose(); // does not fit: the small ones (asked for before it) make room
    expect(nativeBufferPoolStats().freeBytes).toBe(51_200);
    const second = tf.square(large);
    expect(bufferOf(second)).toBe(buffer);
    tf.dispose([second, small, large]);
  });

  it('capBytes 0 turns recycling off', () => {
    releaseNativeBufferPool({ capBytes: 0 });
    const x = ramp(64 * 100, [100, 64]);
    const y = tf.square(x);
    const buffer = bufferOf(y);
    y.dispose();
    const next = tf.square(x);
    expect(bufferOf(next)).not.toBe(buffer);
    expect(nativeBufferPoolStats()).toMatchObject({ capBytes: 0, freeBytes: 0 });
    tf.dispose([next, x]);
    expect(() => releaseNativeBufferPool({ capBytes: -1 })).toThrow(/capBytes/);
  });

  it('training steps give bit-identical weights with the pool on and off', () => {
    // A small conv net trained with autodiff (saved activations, gradient accumulation, variable
    // assignment): any buffer recycled while still in use would change the weights.
    const train = (capBytes: number) => {
      releaseNativeBufferPool({ capBytes });
      const rng = (seed: number, shape: [number, number, number, number]) => tf.randomNormal(shape, 0, 0.3, 'float32', seed) as tf.Tensor4D;
      const [w1, w2, alpha] = tf.tidy(() => [tf.variable(rng(1, [3, 3, 4, 16])), tf.variable(rng(2, [3, 3, 16, 16])), tf.variable(tf.fill([16], 0.25))]) as [
        tf.Variable<tf.Rank.R4>,
        tf.Variable<tf.Rank.R4>,
        tf.Variable<tf.Rank.R1>,
      ];
      const x = rng(3, [4, 12, 12, 4]);
      const optimizer = tf.train.sgd(0.05);
      for (let step = 0; step < 4; step++) {
        const cost = optimizer.minimize(() => {
          const h = tf.prelu(tf.conv2d(x, w1, 1, 'same'), alpha as unknown as tf.Tensor4D); // alpha broadcasts per channel
          const y = tf.add(tf.conv2d(h, w2, 1, 'same'), h); // a residual: h has two consumers
          return tf.mean(tf.square(tf.sub(tf.mul(y, y), 0.5)));
        }, true);
        cost?.dispose();
      }
      const weights = [w1, w2, alpha].map((v) => Array.from(v.dataSync()));
      tf.dispose([w1, w2, alpha, x]);
      optimizer.dispose();
      return weights;
    };
    const before = tf.memory().numTensors;
    const off = train(0);
    const on = train(GiB);
    expect(nativeBufferPoolStats().reused).toBeGreaterThan(0);
    expect(on).toEqual(off);
    expect(tf.memory().numTensors).toBe(before);
  });
});
