import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../load-addon';
import { float32Values, size, uninitializedFloat32, type KernelArgs } from './common';
import { cpuTensorValues } from '../tfjs-internals';

type Fallback = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** How an operand of `shape` covers `outShape`: 0 every element, 1 per last-axis channel, 2 scalar; undefined otherwise. */
function operandMode(shape: readonly number[], outShape: readonly number[]): number | undefined {
  const n = size(shape);
  if (n === 1) return 2;
  const padded = [...new Array(Math.max(0, outShape.length - shape.length)).fill(1), ...shape];
  if (padded.length !== outShape.length) return undefined;
  if (padded.every((d, i) => d === outShape[i])) return 0;
  const channels = outShape[outShape.length - 1];
  if (padded[padded.length - 1] === channels && n === channels) return 1;
  return undefined;
}

const BINARY_OPS: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 };

/** Binary ops also take mode 3: one value per row, an operand `[..., 1]` against `[..., channels]` (e.g. x / |x| rows). */
function binaryOperandMode(shape: readonly number[], outShape: readonly number[]): number | undefined {
  const mode = operandMode(shape, outShape);
  if (mode !== undefined || outShape.length < 2) return mode;
  const padded = [...new Array(Math.max(0, outShape.length - shape.length)).fill(1), ...shape];
  const rowShaped = padded.length === outShape.length && padded[padded.length - 1] === 1 && padded.slice(0, -1).every((d, i) => d === outShape[i]);
  return rowShaped ? 3 : undefined;
}

/** Add, Sub, Multiply, RealDiv on float32 with full, per-channel, scalar or per-row operands. */
export function makeBinary(kernelName: string) {
  const op = BINARY_OPS[kernelName];
  return (addon: NativeAddon, stock: Fallback) => (args: KernelArgs) => {
    const { a, b } = args.inputs;
    const av = float32Values(args.backend, a);
    const bv = float32Values(args.backend, b);
    if (!av || !bv || op === undefined) return stock(args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
    const total = size(outShape);
    const aMode = binaryOperandMode(a!.shape, outShape);
    const bMode = binaryOperandMode(b!.shape, outShape);
    if (aMode === undefined || bMode === undefined || total < 4096) return stock(args);
    const out = uninitializedFloat32(args.backend, total);
    addon.binary(op, av, aMode, bv, bMode, out, outShape.length === 0 ? 1 : outShape[outShape.length - 1]!);
    return args.backend.makeTensorInfo(outShape, 'float32', out);
  };
}

/** Sum and Mean over leading axes (per-channel statistics) or trailing axes, float32. */
export function makeReduce(kernelName: 'Sum' | 'Mean') {
  return (addon: NativeAddon, stock: Fallback) => (args: KernelArgs) => {
    const { x } = args.inputs;
    const xv = float32Values(args.backend, x);
    if (!xv || x!.shape.length === 0 || size(x!.shape) < 4096) return stock(args);
    const shape = x!.shape;
    const axes = [...new Set(tf.util.parseAxisParam(args.attrs?.axis as number | number[], shape))].sort((p, q) => p - q);
    if (axes.length === 0) return stock(args);
    const k = axes.length;
    const leading = axes.every((axis, i) => axis === i);
    const trailing = axes.every((axis, i) => axis === shape.length - k + i);
    if (!leading && !trailing) return stock(args);
    const reduced = size(axes.map((axis) => shape[axis]!));
    const kept = size(shape) / reduced;
    const outShape = args.attrs?.keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
    const out = uninitializedFloat32(args.backend, kept);
    if (leading) addon.reduce(xv, reduced, kept, out, true, kernelName === 'Mean');
    else addon.reduce(xv, kept, reduced, out, false, kernelName === 'Mean');
    return args.backend.makeTensorInfo(outShape, 'float32', out);
  };
}

export function makeSquare(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { x } = args.inputs;
    const xv = float32Values(args.backend, x);
    if (!xv || size(x!.shape) < 4096) return stock(args);
    const out = uninitializedFloat32(args.backend, xv.length);
    addon.unary(0, xv, out, 1, null, 0);
    return args.backend.makeTensorInfo(x!.shape, 'float32', out);
  };
}

/**
 * ClipByValue, Relu and Relu6 as one clamp to [low, high] (NaN stays NaN, as in the JS kernels): the
 * relu6 layers of the face detector's MobileNet spent most of a detection in tfjs-backend-cpu's
 * per-element ClipByValue.
 */
export function makeClip(kernelName: 'ClipByValue' | 'Relu' | 'Relu6') {
  return (addon: NativeAddon, stock: Fallback) => (args: KernelArgs) => {
    const { x } = args.inputs;
    const xv = float32Values(args.backend, x);
    if (!xv || size(x!.shape) < 4096) return stock(args);
    const bounds =
      kernelName === 'ClipByValue'
        ? [Number(args.attrs?.clipValueMin), Number(args.attrs?.clipValueMax)]
        : kernelName === 'Relu'
          ? [0, Number.POSITIVE_INFINITY]
          : [0, 6];
    if (!(bounds[0]! <= bounds[1]!)) return stock(args);
    const out = uninitializedFloat32(args.backend, xv.length);
    addon.unary(2, xv, out, 1, Float32Array.from(bounds), 0);
    return args.backend.makeTensorInfo(x!.shape, 'float32', out);
  };
}

/** Prelu with a per-channel or scalar alpha. */
export function makePrelu(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { x, alpha } = args.inputs;
    const xv = float32Values(args.backend, x);
    const alphaValues = float32Values(args.backend, alpha);
    if (!xv || !alphaValues || x!.shape.length === 0 || size(x!.shape) < 4096) return stock(args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(x!.shape, alpha!.shape);
    const mode = operandMode(alpha!.shape, x!.shape);
    if (!tf.util.arraysEqual(outShape, x!.shape) || (mode !== 1 && mode !== 2)) return stock(args);
    const channels = x!.shape[x!.shape.length - 1]!;
    const out = uninitializedFloat32(args.backend, xv.length);
    addon.unary(1, xv, out, channels, alphaValues, mode);
    return args.backend.makeTensorInfo(x!.shape, 'float32', out);
  };
}

/** Greater on float32 with full, per-channel or scalar operands (the mask of prelu's and relu's gradients). */
export function makeGreater(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs;
    const av = float32Values(args.backend, a);
    const bv = float32Values(args.backend, b);
    if (!av || !bv) return stock(args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
    const aMode = operandMode(a!.shape, outShape);
    const bMode = operandMode(b!.shape, outShape);
    if (aMode === undefined || bMode === undefined || size(outShape) < 4096) return stock(args);
    const out = new Uint8Array(size(outShape));
    addon.greater(av, aMode, bv, bMode, out, outShape[outShape.length - 1]!);
    return args.backend.makeTensorInfo(outShape, 'bool', out);
  };
}

/** Select (tf.where) with condition, then and else all of one shape, float32 values. */
export function makeSelect(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { condition, t, e } = args.inputs;
    const tv = float32Values(args.backend, t);
    const ev = float32Values(args.backend, e);
    const cv = condition?.dtype === 'bool' ? cpuTensorValues(args.backend, condition) : undefined;
    if (
      !tv ||
      !ev ||
      !(cv instanceof Uint8Array) ||
      size(t!.shape) < 4096 ||
      !tf.util.arraysEqual(condition!.shape, t!.shape) ||
      !tf.util.arraysEqual(t!.shape, e!.shape)
    ) {
      return stock(args);
    }
    const out = uninitializedFloat32(args.backend, tv.length);
    addon.select(cv, tv, ev, out);
    return args.backend.makeTensorInfo(t!.shape, 'float32', out);
  };
}

/** FusedBatchNorm (inference: running statistics) with per-channel or scalar mean, variance, offset, scale. */
export function makeFusedBatchNorm(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { x, mean, variance, offset, scale } = args.inputs;
    const xv = float32Values(args.backend, x);
    if (!xv || x!.shape.length === 0 || size(x!.shape) < 4096) return stock(args);
    const channels = x!.shape[x!.shape.length - 1]!;
    const params: Float32Array[] = [];
    for (const p of [mean, variance, offset, scale]) {
      if (p === undefined) {
        params.push(new Float32Array(0));
        continue;
      }
      const values = float32Values(args.backend, p);
      const mode = operandMode(p.shape, x!.shape);
      if (!values || (mode !== 1 && mode !== 2)) return stock(args);
      params.push(values);
    }
    const epsilon = Number(args.attrs?.varianceEpsilon ?? 0.001);
    const at = (values: Float32Array, c: number, fallback: number) => (values.length === 0 ? fallback : values.length === 1 ? values[0]! : values[c]!);
    const a = new Float32Array(channels);
    const b = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      // tfjs: offset + (x - mean) * scale / sqrt(variance + epsilon)
      a[c] = at(params[3]!, c, 1) / Math.sqrt(at(params[1]!, c, 0) + epsilon);
      b[c] = at(params[2]!, c, 0) - at(params[0]!, c, 0) * a[c]!;
    }
    const out = uninitializedFloat32(args.backend, xv.length);
    addon.scaleShift(xv, a, b, out, channels);
    return args.backend.makeTensorInfo(x!.shape, 'float32', out);
  };
}
