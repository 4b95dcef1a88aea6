import { afterEach, describe, expect, it } from 'vitest';
import { initBackend, isBigFaceError, Rng, tf } from '@bigface/backend';
import { nativeCpuStatus } from '@bigface/native-cpu';

const savedEnvironment = process.env.BIGFACE_BACKEND;
const savedNative = process.env.BIGFACE_NATIVE;
afterEach(() => {
  if (savedEnvironment === undefined) delete process.env.BIGFACE_BACKEND;
  else process.env.BIGFACE_BACKEND = savedEnvironment;
  if (savedNative === undefined) delete process.env.BIGFACE_NATIVE;
  else process.env.BIGFACE_NATIVE = savedNative;
});

const native = nativeCpuStatus();
const nativeSkipReason = native.available ? '' : `@bigface/native-cpu addon not built: ${native.reason}`;
if (!native.available && process.env.CI) {
  throw new Error(`CI must build the native kernels (.ci/run installs libdnnl-dev): ${nativeSkipReason}`);
}
import { FUSED_KERNELS } from '../src/fused-kernels';

// The replaced tfjs kernels, then the fused training kernels native-cpu adds (the FUSED_KERNELS contract).
const NATIVE_KERNELS = [
  'Conv2D',
  'FusedConv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNative',
  'BatchMatMul',
  '_FusedMatMul',
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'Sum',
  'Mean',
  'Square',
  'Prelu',
  'Greater',
  'Select',
  'FusedBatchNorm',
  'ClipByValue',
  'Relu',
  'Relu6',
  ...Object.values(FUSED_KERNELS),
];

describe('initBackend', () => {
  it('auto picks cpu with native kernels when built (tfjs-node is not installed here), else wasm', async () => {
    delete process.env.BIGFACE_BACKEND;
    delete process.env.BIGFACE_NATIVE;
    const info = await initBackend();
    if (native.available) {
      expect(info).toMatchObject({ name: 'cpu', package: '@tensorflow/tfjs-backend-cpu + @bigface/native-cpu', gpu: false });
      expect(info.nativeKernels).toEqual(NATIVE_KERNELS);
      expect(info.threads).toBe(native.threads);
      expect(tf.getBackend()).toBe('cpu');
    } else {
      expect(info).toMatchObject({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false, threads: 1, nativeKernels: [] });
    }
  });

  it('BIGFACE_NATIVE=0 or {native: false} turns the native kernels off', async () => {
    delete process.env.BIGFACE_BACKEND;
    process.env.BIGFACE_NATIVE = '0';
    const auto = await initBackend();
    expect(auto).toMatchObject({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', threads: 1, nativeKernels: [] });
    const cpu = await initBackend({ backend: 'cpu' });
    expect(cpu).toMatchObject({ name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', threads: 1, nativeKernels: [] });
    delete process.env.BIGFACE_NATIVE;
    expect((await initBackend({ backend: 'cpu', native: false })).nativeKernels).toEqual([]);
    expect((await initBackend({ backend: 'wasm' })).nativeKernels).toEqual([]);
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
    expect((fromOption as Error).message).toBe("initBackend({backend}): unknown backend 'gpu': choose one of auto, tensorflow, wasm, cpu");
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

  it.skipIf(!native.available)(
    `an IResNet-like block has the same gradients with and without native kernels${native.available ? '' : ` (SKIPPED: ${nativeSkipReason})`}`,
    async () => {
      // conv3x3 -> batch-norm-like affine -> prelu -> conv3x3 stride 2 (+ 1x1 stride-2 shortcut) -> fused conv -> fused matmul head
      const run = () => {
        const rng = new Rng(11);
        const tensor = (shape: number[], std = 0.3) => tf.tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, std), shape);
        // Big enough (> 4096 values) that the native elementwise kernels run too.
        const x = tensor([4, 12, 12, 8], 1);
        const w1 = tensor([3, 3, 8, 16]);
        const gamma = tensor([16]);
        const alpha = tf.fill([16], 0.25);
        const w2 = tensor([3, 3, 16, 16]);
        const shortcut = tensor([1, 1, 8, 16]);
        const w3 = tensor([3, 3, 16, 16]);
        const bias3 = tensor([16]);
        const fc = tensor([6 * 6 * 16, 7]);
        const fcBias = tensor([7]);
        const loss = (...args: tf.Tensor[]) => {
          const [input, a1, g, p, a2, s, a3, b3, f, fb] = args as [
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
          ];
          let h: tf.Tensor = tf.conv2d(input as tf.Tensor4D, a1 as tf.Tensor4D, 1, 'same');
          // batch-norm over N, H, W (mean, centre, variance, scale), then prelu
          const centered = tf.sub(h, tf.mean(h, [0, 1, 2]));
          const variance = tf.mean(tf.square(centered), [0, 1, 2]);
          h = tf.prelu(tf.mul(tf.div(centered, tf.sqrt(tf.add(variance, 1e-5))), g), p);
          const main = tf.conv2d(h as tf.Tensor4D, a2 as tf.Tensor4D, 2, 1);
          const side = tf.conv2d(input as tf.Tensor4D, s as tf.Tensor4D, 2, 'valid');
          const merged = tf.fused.conv2d({
            x: tf.add(main, side) as tf.Tensor as tf.Tensor4D,
            filter: a3 as tf.Tensor4D,
            strides: 1,
            pad: 'same',
            bias: b3,
            activation: 'relu',
          });
          const out = tf.fused.matMul({ a: tf.reshape(merged, [4, -1]), b: f as tf.Tensor2D, bias: fb, activation: 'linear' });
          return tf.sum(tf.square(out));
        };
        const inputs = [x, w1, gamma, alpha, w2, shortcut, w3, bias3, fc, fcBias];
        const before = tf.memory().numTensors;
        const gradients = tf.grads(loss)(inputs);
        const arrays = gradients.map((g) => g.dataSync().slice());
        tf.dispose(gradients);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(inputs);
        return arrays;
      };
      expect((await initBackend({ backend: 'cpu', native: false })).nativeKernels).toEqual([]);
      const js = run();
      expect((await initBackend({ backend: 'cpu' })).nativeKernels).toEqual(NATIVE_KERNELS);
      const fast = run();
      for (let i = 0; i < js.length; i++) {
        const scale = Math.max(...js[i]!.map(Math.abs));
        const worst = Math.max(...js[i]!.map((v, j) => Math.abs(v - fast[i]![j]!)));
        expect(worst / scale, `gradient ${i}`).toBeLessThan(1e-5);
      }
    },
  );
});
