import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../load-addon';
import { ACTIVATIONS, broadcastKind, float32Values, size, uninitializedFloat32, type KernelArgs } from './common';
import { nativePrecision } from '../native-precision';
import { weightsId } from '../weights-id';

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** The 17 numbers native/addon.cc's ConvGeometry reads. */
export function geometry(info: Conv2DInfo): number[] {
  const { padInfo } = info;
  const extentH = (info.filterHeight - 1) * info.dilationHeight + 1;
  const extentW = (info.filterWidth - 1) * info.dilationWidth + 1;
  // oneDNN checks (in - extent + padTop + padBottom) / stride + 1 == out in integer arithmetic: the
  // smallest padding that gives tfjs's output size, never negative (a stride-2 1x1 conv on an even
  // size needs -1, which floor division makes 0; convInfo rejects what that cannot express).
  const padBottom = Math.max(0, (info.outHeight - 1) * info.strideHeight + extentH - info.inHeight - padInfo.top);
  const padRight = Math.max(0, (info.outWidth - 1) * info.strideWidth + extentW - info.inWidth - padInfo.left);
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    padInfo.top,
    padInfo.left,
    padBottom,
    padRight,
  ];
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
  inputShape?: number[];
  filterShape?: number[];
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs, depthwise = false): Conv2DInfo | undefined {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') return undefined;
  if (xShape.length !== 4 || filterShape.length !== 4 || xShape[3] !== filterShape[2]) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  if (info.outHeight <= 0 || info.outWidth <= 0 || size(xShape) === 0) return undefined;
  // tfjs crops the input in some cases (numeric padding with non-square filters uses the filter's height for
  // both output sizes): oneDNN accepts a negative end padding only above -stride; the stock kernel does the rest.
  const g = geometry(info);
  const extentH = (info.filterHeight - 1) * info.dilationHeight + 1;
  const extentW = (info.filterWidth - 1) * info.dilationWidth + 1;
  const rows = Math.floor((info.inHeight - extentH + g[13]! + g[15]!) / info.strideHeight) + 1;
  const columns = Math.floor((info.inWidth - extentW + g[14]! + g[16]!) / info.strideWidth) + 1;
  if (g[13]! < 0 || g[14]! < 0 || rows !== info.outHeight || columns !== info.outWidth) return undefined;
  return info;
}

type Fallback = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

export function makeConv2D(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { x, filter } = args.inputs;
    const attrs = args.attrs as unknown as ConvAttrs;
    const xv = float32Values(args.backend, x);
    const fv = float32Values(args.backend, filter);
    const info = xv && fv ? convInfo(x!.shape, filter!.shape, attrs) : undefined;
    if (!info) return stock(args);
    const y = uninitializedFloat32(args.backend, size(info.outShape));
    addon.conv2dForward(xv!, fv!, null, y, geometry(info), null, null, weightsId(addon, fv!));
    return args.backend.makeTensorInfo(info.outShape, 'float32', y);
  };
}

export function makeFusedConv2D(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs as unknown as ConvAttrs;
    const activation = ACTIVATIONS[attrs.activation ?? 'linear'];
    const xv = float32Values(args.backend, x);
    const fv = float32Values(args.backend, filter);
    const info = xv && fv && activation !== undefined ? convInfo(x!.shape, filter!.shape, attrs) : undefined;
    if (!info || activation === undefined) return stock(args);
    const channels = info.outChannels;
    const biasValues = bias ? float32Values(args.backend, bias) : undefined;
    const biasKind = bias ? broadcastKind(bias.shape, info.outShape, channels) : undefined;
    const alphaValues = preluActivationWeights ? float32Values(args.backend, preluActivationWeights) : undefined;
    const alphaKind = preluActivationWeights ? broadcastKind(preluActivationWeights.shape, info.outShape, channels) : undefined;
    if ((bias && (!biasValues || (biasKind !== 'channel' && biasKind !== 'scalar'))) || (activation === ACTIVATIONS.prelu && (!alphaValues || !alphaKind))) {
      return stock(args);
    }
    const y = uninitializedFloat32(args.backend, size(info.outShape));
    const channelBias = biasKind === 'channel' ? biasValues! : null;
    const scalarBias = biasKind === 'scalar' ? biasValues! : null;
    // Bias then PReLU (per channel or one slope) inside the convolution (a oneDNN post-op); other
    // activations, a scalar bias or an elementwise slope take one more pass.
    const postPrelu = activation === ACTIVATIONS.prelu && !scalarBias && (alphaKind === 'channel' || alphaKind === 'scalar');
    addon.conv2dForward(xv!, fv!, channelBias, y, geometry(info), postPrelu ? alphaValues! : null, null, weightsId(addon, fv!));
    if (!postPrelu && (scalarBias || activation !== 0)) {
      addon.biasActivation(y, channels, scalarBias, activation, alphaValues ?? null, attrs.leakyreluAlpha ?? 0.2);
    }
    return args.backend.makeTensorInfo(info.outShape, 'float32', y);
  };
}

export function makeConv2DBackpropInput(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { dy, filter } = args.inputs;
    const attrs = args.attrs as unknown as ConvAttrs;
    const dyv = float32Values(args.backend, dy);
    const fv = float32Values(args.backend, filter);
    const inputShape = attrs.inputShape;
    const info = dyv && fv && inputShape ? convInfo(inputShape, filter!.shape, attrs) : undefined;
    if (!info || !tf.util.arraysEqual(info.outShape, dy!.shape)) return stock(args);
    const dx = uninitializedFloat32(args.backend, size(inputShape!));
    addon.conv2dBackwardData(dyv!, fv!, dx, geometry(info), weightsId(addon, fv!));
    return args.backend.makeTensorInfo(inputShape!, 'float32', dx);
  };
}

export function makeConv2DBackpropFilter(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { x, dy } = args.inputs;
    const attrs = args.attrs as unknown as ConvAttrs;
    const xv = float32Values(args.backend, x);
    const dyv = float32Values(args.backend, dy);
    const filterShape = attrs.filterShape;
    const info = xv && dyv && filterShape ? convInfo(x!.shape, filterShape, attrs) : undefined;
    if (!info || !tf.util.arraysEqual(info.outShape, dy!.shape)) return stock(args);
    const dw = uninitializedFloat32(args.backend, size(filterShape!));
    // bf16: oneDNN's primitive (bf16 operands, fp32 accumulation). fp32: oneDNN's primitive for
    // stride 1, im2col + sgemm for strided convolutions — the faster of the two on each of r18's
    // layers (packages/backend/bench/native-conv.bench.mjs, case filter-grad).
    if (nativePrecision() === 'bf16' || (info.strideHeight === 1 && info.strideWidth === 1)) addon.conv2dBackwardWeights(xv!, dyv!, dw, geometry(info));
    else addon.conv2dBackwardWeightsGemm(xv!, dyv!, dw, geometry(info));
    return args.backend.makeTensorInfo(filterShape!, 'float32', dw);
  };
}

/**
 * BigFaceConv2DResidual: inputs { x, filter, bias?, residual }, attrs like Conv2D (NHWC) → conv(x) +
 * bias + residual in one oneDNN primitive (the residual add is a post-op: no extra pass).
 */
export function makeConv2DResidual(addon: NativeAddon) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x, filter, bias, residual } = args.inputs;
    const attrs = args.attrs as unknown as ConvAttrs;
    const xv = float32Values(args.backend, x);
    const fv = float32Values(args.backend, filter);
    const rv = float32Values(args.backend, residual);
    const bv = bias ? float32Values(args.backend, bias) : null;
    const info = xv && fv ? convInfo(x!.shape, filter!.shape, attrs) : undefined;
    if (!xv || !fv || !rv || (bias && !bv)) throw new Error('BigFaceConv2DResidual: x, filter, bias and residual must be float32 tensors of the cpu backend');
    if (!info) {
      // A geometry oneDNN does not take (see convInfo): the Conv2D kernel, then bias and residual here.
      const conv = tf
        .getKernel('Conv2D', 'cpu')
        .kernelFunc({ inputs: { x: x!, filter: filter! }, backend: args.backend as never, attrs: args.attrs as never }) as tf.TensorInfo;
      const values = float32Values(args.backend, conv)!;
      const out = new Float32Array(values.length);
      const channels = conv.shape[conv.shape.length - 1]!;
      for (let i = 0; i < out.length; i++) out[i] = values[i]! + (bv ? bv[i % channels]! : 0) + rv[i]!;
      (args.backend as unknown as { disposeData(dataId: tf.DataId): void }).disposeData(conv.dataId);
      return args.backend.makeTensorInfo(conv.shape, 'float32', out);
    }
    if (!tf.util.arraysEqual(residual!.shape, info.outShape) || (bv && bv.length !== info.outChannels)) {
      throw new Error(
        `BigFaceConv2DResidual: the residual must be shaped like the output [${info.outShape.join(', ')}] and the bias hold ${info.outChannels} values`,
      );
    }
    const y = uninitializedFloat32(args.backend, size(info.outShape));
    addon.conv2dForward(xv, fv, bv ?? null, y, geometry(info), null, rv, weightsId(addon, fv));
    return args.backend.makeTensorInfo(info.outShape, 'float32', y);
  };
}

/** DepthwiseConv2dNative (NHWC, float32, forward): a grouped oneDNN convolution, C groups. */
export function makeDepthwiseConv2D(addon: NativeAddon, stock: Fallback) {
  return (args: KernelArgs) => {
    const { x, filter } = args.inputs;
    const attrs = args.attrs as unknown as ConvAttrs;
    const xv = float32Values(args.backend, x);
    const fv = float32Values(args.backend, filter);
    const info = xv && fv ? convInfo(x!.shape, filter!.shape, attrs, true) : undefined;
    if (!info) return stock(args);
    const y = uninitializedFloat32(args.backend, size(info.outShape));
    addon.depthwiseConv2dForward(xv!, fv!, y, geometry(info), filter!.shape[3]!, weightsId(addon, fv!));
    return args.backend.makeTensorInfo(info.outShape, 'float32', y);
  };
}
