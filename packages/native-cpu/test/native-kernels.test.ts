// Native (oneDNN) kernels against tfjs's own JS cpu kernels on random shapes, strides, paddings,
// dilations and batch sizes. The JS kernels are an independent implementation: the reference.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Gradients for the autodiff reference (tfjs-core alone registers none).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeCpuStatus, nativePrecision, registerNativeCpuKernels, setNativePrecision, unregisterNativeCpuKernels } from '../src/index';

const status = nativeCpuStatus();
const skipReason = status.available ? '' : ` (SKIPPED: addon not built: ${status.reason})`;
if (!status.available && process.env.CI) {
  throw new Error(`CI must build @bigface/native-cpu (apt-get install libdnnl-dev libopenblas-dev g++): ${status.reason}`);
}

const ALL_KERNELS = [
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
  'BigFaceBatchNormTraining',
  'BigFaceBatchNormTrainingGrad',
  'BigFacePreluGrad',
  'BigFaceConv2DResidual',
  'BigFaceSquaredNorms',
  'BigFaceLarsApply',
];

/** mulberry32: a seeded generator for test shapes and values. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    tensor: (shape: number[]) => {
      const values = new Float32Array(shape.reduce((x, y) => x * y, 1));
      for (let i = 0; i < values.length; i++) values[i] = next() * 2 - 1;
      const t: tf.Tensor = tf.tensor(values, shape);
      return t as tf.Tensor4D;
    },
  };
}

/** Runs `compute` with the JS kernels and with the native ones; returns the worst relative difference per output. */
function compare(compute: () => tf.Tensor[]): number[] {
  const before = tf.memory().numTensors;
  unregisterNativeCpuKernels();
  const js = tf.tidy(compute);
  expect(registerNativeCpuKernels()).toEqual(ALL_KERNELS);
  const native = tf.tidy(compute);
  const errors = js.map((reference, i) => {
    expect(native[i]!.shape).toEqual(reference.shape);
    const a = reference.dataSync();
    const b = native[i]!.dataSync();
    let scale = 1e-6;
    let worst = 0;
    for (let j = 0; j < a.length; j++) {
      scale = Math.max(scale, Math.abs(a[j]!));
      worst = Math.max(worst, Math.abs(a[j]! - b[j]!));
    }
    return worst / scale;
  });
  tf.dispose([...js, ...native]);
  expect(tf.memory().numTensors).toBe(before);
  return errors;
}

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

function randomConv(g: ReturnType<typeof generator>, allowDilation: boolean) {
  const kh = g.int(1, 3);
  const kw = g.int(1, 3);
  const dilated = allowDilation && g.next() < 0.4;
  const dilations: [number, number] = dilated ? [g.int(1, 2), g.int(2, 3)] : [1, 1];
  const strides: [number, number] = dilated ? [1, 1] : [g.int(1, 3), g.int(1, 3)];
  const pad: Pad = g.pick<Pad>([
    'same',
    'valid',
    g.int(0, 2),
    [
      [0, 0],
      [g.int(0, 2), g.int(0, 2)],
      [g.int(0, 2), g.int(0, 2)],
      [0, 0],
    ],
  ]);
  const extentH = (kh - 1) * dilations[0] + 1;
  const extentW = (kw - 1) * dilations[1] + 1;
  const xShape: [number, number, number, number] = [g.int(1, 3), g.int(extentH, 11), g.int(extentW, 11), g.int(1, 7)];
  const filterShape: [number, number, number, number] = [kh, kw, xShape[3], g.int(1, 9)];
  return { xShape, filterShape, strides, dilations, pad };
}

describe.skipIf(!status.available)(`native cpu kernels vs tfjs's JS kernels${skipReason}`, () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  });
  afterAll(() => {
    unregisterNativeCpuKernels();
  });

  it('registers the six kernels, idempotently, keeping the stock setup and restoring the stock functions', () => {
    const stock = tf.getKernel('Conv2D', 'cpu').kernelFunc;
    const names = registerNativeCpuKernels();
    expect(names).toEqual(ALL_KERNELS);
    expect(registerNativeCpuKernels()).toEqual(names);
    expect(tf.getKernel('Conv2D', 'cpu').kernelFunc).not.toBe(stock);
    expect(unregisterNativeCpuKernels()).toEqual(names);
    expect(tf.getKernel('Conv2D', 'cpu').kernelFunc).toBe(stock);
    // The fused training kernels are additions: gone again after unregistering.
    expect(tf.getKernel('BigFaceBatchNormTraining', 'cpu')).toBeUndefined();
  });

  it('Conv2D forward: random shapes, strides, paddings (same, valid, number, explicit), dilations, batches', () => {
    const g = generator(1);
    for (let trial = 0; trial < 40; trial++) {
      const c = randomConv(g, true);
      const x = g.tensor(c.xShape);
      const filter = g.tensor(c.filterShape);
      const [error] = compare(() => [tf.conv2d(x, filter, c.strides, c.pad, 'NHWC', c.dilations)]);
      expect(error, JSON.stringify(c)).toBeLessThan(1e-5);
      tf.dispose([x, filter]);
    }
  });

  it('Conv2DBackpropInput and Conv2DBackpropFilter: random shapes, strides, paddings, batches', () => {
    const g = generator(2);
    for (let trial = 0; trial < 40; trial++) {
      const c = randomConv(g, false);
      const x = g.tensor(c.xShape);
      const filter = g.tensor(c.filterShape);
      const outShape = tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.strides, 1, c.pad).outShape;
      const dy = g.tensor(outShape);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1 };
      const errors = compare(() => [
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: c.xShape } as never) as tf.Tensor,
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: c.filterShape } as never) as tf.Tensor,
      ]);
      expect(Math.max(...errors), JSON.stringify(c)).toBeLessThan(1e-5);
      tf.dispose([x, filter, dy]);
    }
  });

  it('FusedConv2D: per-channel and scalar bias, every activation, prelu with per-channel and scalar alpha', () => {
    const g = generator(3);
    const activations = ['linear', 'relu', 'relu6', 'prelu', 'leakyrelu', 'elu', 'sigmoid'] as const;
    for (let trial = 0; trial < 28; trial++) {
      const c = randomConv(g, true);
      const activation = activations[trial % activations.length];
      const outChannels = c.filterShape[3];
      const x = g.tensor(c.xShape);
      const filter = tf.mul(g.tensor(c.filterShape), 4) as tf.Tensor4D;
      const bias = trial % 3 === 2 ? undefined : g.tensor(trial % 3 === 0 ? [outChannels] : [1]);
      const alpha = activation === 'prelu' ? g.tensor(trial % 2 === 0 ? [outChannels] : [1]) : undefined;
      const [error] = compare(() => [
        tf.fused.conv2d({
          x,
          filter,
          strides: c.strides,
          pad: c.pad,
          dilations: c.dilations,
          bias,
          activation,
          preluActivationWeights: alpha,
          leakyreluAlpha: 0.1,
        }),
      ]);
      expect(error, `${activation} ${JSON.stringify(c)}`).toBeLessThan(1e-5);
      tf.dispose([x, filter, ...(bias ? [bias] : []), ...(alpha ? [alpha] : [])]);
    }
  });

  it("FusedConv2D + PReLU at the BN-folded r18's 3×3 shapes (PReLU applied after the convolution where the post-op would pick oneDNN's reference kernel)", () => {
    const g = generator(31);
    const cases: { x: number[]; filter: number[]; strides: number }[] = [
      { x: [2, 14, 14, 64], filter: [3, 3, 64, 64], strides: 1 },
      { x: [1, 28, 28, 64], filter: [3, 3, 64, 128], strides: 2 },
      { x: [3, 7, 7, 32], filter: [3, 3, 32, 48], strides: 1 },
    ];
    for (const [index, c] of cases.entries()) {
      const x = g.tensor(c.x);
      const filter = tf.mul(g.tensor(c.filter), 0.2) as tf.Tensor4D;
      const bias = g.tensor([c.filter[3]!]);
      const alpha = g.tensor(index === 2 ? [1] : [c.filter[3]!]);
      const [error] = compare(() => [tf.fused.conv2d({ x, filter, strides: c.strides, pad: 1, bias, activation: 'prelu', preluActivationWeights: alpha })]);
      expect(error, JSON.stringify(c)).toBeLessThan(1e-5);
      tf.dispose([x, filter, bias, alpha]);
    }
  });

  it('BatchMatMul and _FusedMatMul: transposes, batches, one-sided batch broadcast, bias and activations', () => {
    const g = generator(4);
    for (let trial = 0; trial < 32; trial++) {
      const transposeA = trial % 2 === 1;
      const transposeB = trial % 4 >= 2;
      const [m, k, n] = [g.int(1, 9), g.int(1, 9), g.int(1, 9)];
      const batch: number[] = g.pick([[], [3], [2, 2]]);
      const broadcastA = batch.length > 0 && trial % 8 === 4;
      const aShape = [...(broadcastA ? [] : batch), ...(transposeA ? [k, m] : [m, k])];
      const bShape = [...batch, ...(transposeB ? [n, k] : [k, n])];
      const a = g.tensor(aShape);
      const b = g.tensor(bShape);
      const bias = g.tensor([n]);
      const alpha = g.tensor([n]);
      const activation = g.pick(['linear', 'relu', 'prelu', 'elu'] as const);
      const fusedOk = batch.length === 0 || !broadcastA;
      const errors = compare(() => [
        tf.matMul(a, b, transposeA, transposeB),
        ...(fusedOk ? [tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation, preluActivationWeights: alpha })] : []),
      ]);
      expect(Math.max(...errors), `${aShape} x ${bShape} ${transposeA} ${transposeB}`).toBeLessThan(1e-5);
      tf.dispose([a, b, bias, alpha]);
    }
  });

  it('a two-sided batch broadcast and int32 inputs fall back to the stock kernels', () => {
    const g = generator(5);
    const a = g.tensor([2, 1, 3, 4]);
    const b = g.tensor([1, 3, 4, 2]);
    const [error] = compare(() => [tf.matMul(a, b)]);
    expect(error).toBeLessThan(1e-5);
    const ai = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const bi = tf.tensor2d([5, 6, 7, 8], [2, 2], 'int32');
    registerNativeCpuKernels();
    const y = tf.matMul(ai, bi);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([19, 22, 43, 50]);
    tf.dispose([a, b, ai, bi, y]);
  });

  it('elementwise: Add/Sub/Multiply/RealDiv with full, per-channel, scalar and per-row operands; Sum/Mean over leading and trailing axes; Square; Prelu; ClipByValue, Relu, Relu6', () => {
    const g = generator(6);
    for (let trial = 0; trial < 12; trial++) {
      const shape = [g.int(1, 4), g.int(8, 20), g.int(8, 20), g.int(3, 17)];
      const channels = shape[3]!;
      const x = g.tensor(shape);
      const full = g.tensor(shape);
      const perChannel = g.tensor(trial % 2 === 0 ? [channels] : [1, 1, 1, channels]);
      const scalar = g.tensor([]);
      const positive = tf.add(tf.abs(g.tensor([channels])), 0.5);
      const keepDims = trial % 2 === 1;
      const perRow = g.tensor([...shape.slice(0, 3), 1]);
      const rows2d = tf.reshape(x, [-1, channels]);
      const norms2d = tf.add(tf.abs(g.tensor([rows2d.shape[0], 1])), 0.5);
      // Always above the 4096-element native threshold: PartialFC's centres / their row norms.
      const centres = g.tensor([300 + trial, 40]);
      const centreNorms = tf.add(tf.abs(g.tensor([300 + trial, 1])), 0.5);
      const errors = compare(() => [
        tf.mul(x, perRow),
        tf.sub(perRow, x),
        tf.div(rows2d, norms2d),
        tf.add(norms2d, rows2d),
        tf.div(centres, centreNorms),
        tf.mul(centreNorms, centres),
        tf.add(x, full),
        tf.sub(perChannel, x),
        tf.mul(x, perChannel),
        tf.div(x, positive),
        tf.add(scalar, x),
        tf.mul(x, scalar),
        tf.sum(x, [0, 1, 2], keepDims),
        tf.mean(x, [0, 1, 2], keepDims),
        tf.sum(x, -1, keepDims),
        tf.mean(x, [2, 3], keepDims),
        tf.sum(x),
        tf.mean(x, [0, 2]),
        tf.square(x),
        tf.prelu(x, perChannel),
        tf.prelu(x, scalar),
        tf.clipByValue(tf.mul(x, 8), -0.5, 0.75),
        tf.relu(x),
        tf.relu6(tf.mul(x, 8)),
        tf.cast(tf.greater(x, scalar), 'float32'),
        tf.cast(tf.greater(perChannel, x), 'float32'),
        tf.where(tf.greater(x, full), x, full),
        tf.batchNorm(x, tf.reshape(perChannel, [channels]), positive, tf.reshape(perChannel, [channels]), positive, 1e-3),
        tf.batchNorm(x, scalar, tf.abs(scalar), undefined, undefined, 1e-5),
      ]);
      errors.forEach((error, i) => {
        expect(error, `output ${i} of ${JSON.stringify(shape)}`).toBeLessThan(2e-6);
      });
      tf.dispose([x, full, perChannel, scalar, positive, perRow, rows2d, norms2d, centres, centreNorms]);
    }
  });

  it('ClipByValue, Relu, Relu6 keep NaN as the JS kernels do, and clamp infinities', () => {
    const values = new Float32Array(64 * 80).map((_, i) => (i % 7) - 3 + i / 10000);
    values[5] = Number.NaN;
    values[100] = Number.POSITIVE_INFINITY;
    values[200] = Number.NEGATIVE_INFINITY;
    const x = tf.tensor2d(values, [64, 80]);
    const run = () => [tf.clipByValue(x, -1, 2), tf.relu(x), tf.relu6(x)].map((t) => t.dataSync());
    unregisterNativeCpuKernels();
    const js = tf.tidy(() => run());
    registerNativeCpuKernels();
    const native = tf.tidy(() => run());
    js.forEach((expected, k) => {
      expect(Number.isNaN(native[k]![5]!), `output ${k}`).toBe(true);
      expect(Array.from(native[k]!)).toEqual(Array.from(expected));
    });
    // values[99] = (99 mod 7) − 3 + 0.0099 = −1.9901 → −1; values[100] = +∞ → 2.
    expect(Array.from(native[0]!.slice(99, 101))).toEqual([-1, 2]);
    expect([native[1]![200], native[2]![100]]).toEqual([0, 6]);
    x.dispose();
  });

  it('fused training kernels: BatchNorm forward/backward and PReLU backward equal autodiff through tfjs ops (JS kernels), odd sizes and batch 1', () => {
    const g = generator(9);
    const shapes = [
      [1, 5, 7, 3],
      [2, 9, 9, 16],
      [3, 4, 6, 33],
      [64, 17],
      [1, 2, 2, 5],
    ];
    for (const shape of shapes) {
      const channels = shape[shape.length - 1]!;
      const axes = shape.slice(0, -1).map((_, i) => i);
      // Offset and scaled inputs: a mean far from 0 tests the variance's cancellation.
      const x = tf.add(tf.mul(g.tensor(shape), 3), 2);
      const gamma = g.tensor([channels]);
      const beta = g.tensor([channels]);
      const alpha = g.tensor([channels]);
      const scalarAlpha = g.tensor([1]);
      const weights = g.tensor(shape); // dy: the gradient of sum(y · weights)
      const epsilon = 1e-5;
      const before = tf.memory().numTensors;
      // Reference: the textbook formulas in tfjs ops on the JS kernels, differentiated by tfjs autodiff.
      unregisterNativeCpuKernels();
      const reference = tf.tidy(() => {
        const bn = (input: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
          const { mean, variance } = tf.moments(input, axes);
          return tf.add(tf.mul(tf.div(tf.sub(input, mean), tf.sqrt(tf.add(variance, epsilon))), scale), offset);
        };
        const { mean, variance } = tf.moments(x, axes);
        const [dx, dGamma, dBeta] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(bn(a, b, c), weights)))([x, gamma, beta]);
        const [pdx, pda] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.prelu(a, b), weights)))([x, alpha]);
        const [sdx, sda] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.prelu(a, b), weights)))([x, scalarAlpha]);
        return [bn(x, gamma, beta), mean, variance, dx, dGamma, dBeta, pdx, pda, sdx, sda];
      });
      registerNativeCpuKernels();
      const fused = tf.tidy(() => {
        const run = (name: string, inputs: tf.NamedTensorMap, attrs = {}) =>
          tf.engine().runKernel(name, inputs, attrs) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
        const [y, mean, variance] = run('BigFaceBatchNormTraining', { x, scale: gamma, offset: beta }, { epsilon });
        const [dx, dGamma, dBeta] = run('BigFaceBatchNormTrainingGrad', { dy: weights, x, mean, variance, scale: gamma }, { epsilon });
        const [pdx, pda] = run('BigFacePreluGrad', { dy: weights, x, alpha });
        const [sdx, sda] = run('BigFacePreluGrad', { dy: weights, x, alpha: scalarAlpha });
        return [y, mean, variance, dx, dGamma, dBeta, pdx, pda, sdx, sda];
      });
      fused.forEach((tensor, i) => {
        expect(tensor.shape, `output ${i} of ${JSON.stringify(shape)}`).toEqual(reference[i]!.shape);
        const a = reference[i]!.dataSync();
        const b = tensor.dataSync();
        let scale = 1e-6;
        let worst = 0;
        for (let j = 0; j < a.length; j++) {
          scale = Math.max(scale, Math.abs(a[j]!));
          worst = Math.max(worst, Math.abs(a[j]! - b[j]!));
        }
        // float32 sums in a different order (ours: double accumulators): a few ulps of the largest value.
        expect(worst / scale, `output ${i} of ${JSON.stringify(shape)}`).toBeLessThan(1e-5);
      });
      tf.dispose([...reference, ...fused]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, gamma, beta, alpha, scalarAlpha, weights]);
    }
  });

  it('BigFaceConv2DResidual: conv + bias + residual in one kernel equals conv2d, bias and add on the JS kernels', () => {
    const g = generator(11);
    for (let trial = 0; trial < 6; trial++) {
      const { xShape, filterShape, strides, pad } = randomConv(g, false);
      const x = g.tensor(xShape);
      const filter = g.tensor(filterShape);
      const bias = g.tensor([filterShape[3]]);
      const outShape = tf.conv2d(x, filter, strides, pad).shape;
      // A residual that varies over every position (a constant one would hide a wrong layout).
      const residual = g.tensor(outShape);
      const errors = compare(() => [
        tf.getKernel('BigFaceConv2DResidual', 'cpu')
          ? (tf.engine().runKernel('BigFaceConv2DResidual', { x, filter, bias, residual }, { strides, pad, dataFormat: 'NHWC', dilations: 1 }) as tf.Tensor)
          : tf.add(tf.add(tf.conv2d(x, filter, strides, pad), bias), residual),
      ]);
      expect(errors[0], JSON.stringify({ xShape, filterShape, strides, pad })).toBeLessThan(1e-5);
      tf.dispose([x, filter, bias, residual]);
    }
  });

  it.skipIf(!status.available || !status.bf16)(
    'bf16 precision: convolutions (forward, both gradients) and matmuls within bf16 rounding of fp32; fp32 again after',
    () => {
      const g = generator(12);
      expect(nativePrecision()).toBe('fp32');
      for (let trial = 0; trial < 4; trial++) {
        const { xShape, filterShape, strides, pad } = randomConv(g, false);
        const x = g.tensor(xShape);
        const filter = g.tensor(filterShape);
        const a = g.tensor([3, 37, 29]);
        const b = g.tensor([3, 29, 41]);
        const dy = tf.conv2d(x, filter, strides, pad);
        const run = () =>
          tf.tidy(() => [
            tf.conv2d(x, filter, strides, pad),
            tf.conv2dTranspose(dy, filter, xShape as [number, number, number, number], strides, pad),
            tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, strides, pad), dy)))(filter),
            tf.matMul(a, b),
            tf.matMul(b, a, true, true),
          ]);
        const full = run();
        setNativePrecision('bf16');
        const half = run();
        setNativePrecision('fp32');
        half.forEach((tensor, i) => {
          const p = full[i]!.dataSync();
          const q = tensor.dataSync();
          let scale = 1e-6;
          let worst = 0;
          for (let j = 0; j < p.length; j++) {
            scale = Math.max(scale, Math.abs(p[j]!));
            worst = Math.max(worst, Math.abs(p[j]! - q[j]!));
          }
          // bf16 keeps 8 significant bits (relative rounding 2^-9 per operand); sums in fp32: seen ≤ 4e-3.
          expect(worst / scale, `output ${i}, ${JSON.stringify({ xShape, filterShape })}`).toBeLessThan(2e-2);
          expect(worst, `output ${i} must differ: bf16 really ran`).toBeGreaterThan(0);
        });
        tf.dispose([...full, ...half, x, filter, a, b, dy]);
      }
      expect(nativePrecision()).toBe('fp32');
    },
  );

  it('DepthwiseConv2dNative: random shapes, channel multipliers, strides, paddings, dilations, batches', () => {
    const g = generator(13);
    for (let trial = 0; trial < 12; trial++) {
      const { xShape, filterShape, strides, dilations, pad } = randomConv(g, true);
      const multiplier = g.int(1, 3);
      const depthwiseFilter = [filterShape[0], filterShape[1], xShape[3], multiplier];
      const x = g.tensor(xShape);
      const filter = g.tensor(depthwiseFilter);
      // tfjs allows strides > 1 only without dilation, as for conv2d.
      const errors = compare(() => [tf.depthwiseConv2d(x, filter as tf.Tensor4D, strides, pad as 'same', 'NHWC', dilations)]);
      expect(errors[0], JSON.stringify({ xShape, depthwiseFilter, strides, dilations, pad })).toBeLessThan(1e-5);
      tf.dispose([x, filter]);
    }
  });
});
