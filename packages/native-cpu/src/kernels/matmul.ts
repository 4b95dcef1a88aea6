import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../load-addon';
import { ACTIVATIONS, broadcastKind, float32Values, size, uninitializedFloat32, type KernelArgs } from './common';

type Fallback = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

interface MatmulPlan {
  a: Float32Array;
  b: Float32Array;
  params: number[];
  outShape: number[];
  n: number;
}

function plan(args: KernelArgs): MatmulPlan | undefined {
  const { a, b } = args.inputs;
  const transposeA = Boolean(args.attrs?.transposeA);
  const transposeB = Boolean(args.attrs?.transposeB);
  const av = float32Values(args.backend, a);
  const bv = float32Values(args.backend, b);
  if (!av || !bv || a!.shape.length < 2 || b!.shape.length < 2) return undefined;
  const ra = a!.shape.length;
  const rb = b!.shape.length;
  const m = (transposeA ? a!.shape[ra - 1] : a!.shape[ra - 2])!;
  const k = (transposeA ? a!.shape[ra - 2] : a!.shape[ra - 1])!;
  const kb = (transposeB ? b!.shape[rb - 1] : b!.shape[rb - 2])!;
  const n = (transposeB ? b!.shape[rb - 2] : b!.shape[rb - 1])!;
  if (k !== kb || m * n * k === 0) return undefined;
  const batchDimsA = a!.shape.slice(0, -2);
  const batchDimsB = b!.shape.slice(0, -2);
  const batchA = size(batchDimsA);
  const batchB = size(batchDimsB);
  // Equal batch dimensions, or one operand without a batch: the native loop. Other broadcasts: the stock kernel.
  if (batchA !== 1 && batchB !== 1 && !tf.util.arraysEqual(batchDimsA, batchDimsB)) return undefined;
  const outBatch = tf.backend_util.assertAndGetBroadcastShape(batchDimsA, batchDimsB);
  return {
    a: av,
    b: bv,
    params: [batchA, batchB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0],
    outShape: [...outBatch, m, n],
    n,
  };
}

export function makeBatchMatMul(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const p = plan(args);
    if (!p) return stock(args);
    const c = uninitializedFloat32(args.backend, size(p.outShape));
    addon.matmul(p.a, p.b, c, p.params);
    return args.backend.makeTensorInfo(p.outShape, 'float32', c);
  };
}

export function makeFusedMatMul(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { bias, preluActivationWeights } = args.inputs;
    const activation = ACTIVATIONS[String(args.attrs?.activation ?? 'linear')];
    const p = activation === undefined ? undefined : plan(args);
    if (!p) return stock(args);
    const biasValues = bias ? float32Values(args.backend, bias) : undefined;
    const biasKind = bias ? broadcastKind(bias.shape, p.outShape, p.n) : undefined;
    const alphaValues = preluActivationWeights ? float32Values(args.backend, preluActivationWeights) : undefined;
    const alphaKind = preluActivationWeights ? broadcastKind(preluActivationWeights.shape, p.outShape, p.n) : undefined;
    if ((bias && (!biasValues || (biasKind !== 'channel' && biasKind !== 'scalar'))) || (activation === ACTIVATIONS.prelu && (!alphaValues || !alphaKind))) {
      return stock(args);
    }
    const c = uninitializedFloat32(args.backend, size(p.outShape));
    addon.matmul(p.a, p.b, c, p.params);
    if (bias || activation !== 0) {
      addon.biasActivation(c, p.n, biasValues ?? null, activation!, alphaValues ?? null, Number(args.attrs?.leakyreluAlpha ?? 0.2));
    }
    return args.backend.makeTensorInfo(p.outShape, 'float32', c);
  };
}
