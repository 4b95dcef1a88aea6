import { afterEach, describe, expect, it } from 'vitest';
import { initBackend, isBigFaceError, tf } from '@bigface/backend';

const savedEnvironment = process.env.BIGFACE_BACKEND;
afterEach(() => {
  if (savedEnvironment === undefined) delete process.env.BIGFACE_BACKEND;
  else process.env.BIGFACE_BACKEND = savedEnvironment;
});

describe('initBackend', () => {
  it('auto picks wasm here (tfjs-node and tfjs-node-gpu are not installed) and reports it', async () => {
    delete process.env.BIGFACE_BACKEND;
    const info = await initBackend();
    expect(info).toMatchObject({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false, threads: 1 });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('an explicit option wins over BIGFACE_BACKEND, and BIGFACE_BACKEND wins over auto', async () => {
    process.env.BIGFACE_BACKEND = 'wasm';
    expect((await initBackend({ backend: 'cpu' })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend()).name).toBe('wasm');
    process.env.BIGFACE_BACKEND = 'cpu';
    expect((await initBackend()).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('asking for a backend that is not installed says how to install it', async () => {
    const error = await initBackend({ backend: 'tensorflow' }).catch((e: unknown) => e);
    expect(isBigFaceError(error, 'BACKEND_NOT_INSTALLED')).toBe(true);
    expect((error as Error).message).toMatch(/npm install @tensorflow\/tfjs-node-gpu@\^4\.22\.0 or npm install @tensorflow\/tfjs-node@\^4\.22\.0/);
  });

  it('an unknown name lists the valid ones, naming where it came from', async () => {
    const fromOption = await initBackend({ backend: 'gpu' as never }).catch((e: unknown) => e);
    expect(isBigFaceError(fromOption, 'UNKNOWN_BACKEND')).toBe(true);
    expect((fromOption as Error).message).toBe(
      "initBackend({backend}): unknown backend 'gpu': choose one of auto, tensorflow, wasm, cpu",
    );
    process.env.BIGFACE_BACKEND = 'webgl';
    const fromEnvironment = await initBackend().catch((e: unknown) => e);
    expect((fromEnvironment as Error).message).toMatch(/^BIGFACE_BACKEND: unknown backend 'webgl'/);
  });

  it('gradients are registered: tf.grad works on both backends', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend({ backend });
      const before = tf.memory().numTensors;
      // d/dx sum(x^2 * 3) = 6x
      const x = tf.tensor1d([1, -2, 0.5]);
      const gradient = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(v), 3)))(x);
      expect(Array.from(gradient.dataSync())).toEqual([6, -12, 3]);
      tf.dispose([x, gradient]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
