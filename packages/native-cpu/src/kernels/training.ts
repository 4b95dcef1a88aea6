import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../load-addon';
import { float32Values, size, uninitializedFloat32, type KernelArgs } from './common';
import { makeConv2DResidual } from './conv2d';

/**
 * Fused kernels that tfjs has no kernel for (training BatchNorm and PReLU gradient; a convolution with
 * its residual add for inference), registered under these names for the `cpu`
 * backend; @bigface/resnet-zoo calls them through `tf.engine().runKernel` when the active backend has
 * them (the contract is @bigface/backend's FUSED_KERNELS) and composes tfjs ops otherwise.
 */
export const TRAINING_KERNEL_NAMES = {
  batchNormTraining: 'BigFaceBatchNormTraining',
  batchNormTrainingGrad: 'BigFaceBatchNormTrainingGrad',
  preluGrad: 'BigFacePreluGrad',
  conv2dResidual: 'BigFaceConv2DResidual',
  squaredNorms: 'BigFaceSquaredNorms',
  larsApply: 'BigFaceLarsApply',
} as const;

function values(args: KernelArgs, name: string, kernel: string): Float32Array {
  const tensor = args.inputs[name];
  const data = float32Values(args.backend, tensor);
  if (data === undefined) throw new Error(`${kernel}: input '${name}' must be a float32 tensor of the cpu backend`);
  return data;
}

function channelsOf(shape: readonly number[], kernel: string): number {
  if (shape.length < 2) throw new Error(`${kernel}: x must have rank >= 2 (channels last), got [${shape.join(', ')}]`);
  return shape[shape.length - 1]!;
}

function perChannel(args: KernelArgs, name: string, channels: number, kernel: string): Float32Array {
  const data = values(args, name, kernel);
  if (data.length !== channels) throw new Error(`${kernel}: '${name}' must hold one value per channel (${channels}), got ${data.length}`);
  return data;
}

/** inputs { x, scale, offset }, attrs { epsilon } → [y, mean, variance (biased)], statistics over every axis but the last. */
export function makeBatchNormTraining(addon: NativeAddon) {
  const kernel = TRAINING_KERNEL_NAMES.batchNormTraining;
  return (args: KernelArgs): tf.TensorInfo[] => {
    const x = args.inputs.x!;
    const channels = channelsOf(x.shape, kernel);
    const xv = values(args, 'x', kernel);
    const y = uninitializedFloat32(args.backend, xv.length);
    const mean = new Float32Array(channels);
    const variance = new Float32Array(channels);
    addon.batchNormTrainingForward(
      xv,
      perChannel(args, 'scale', channels, kernel),
      perChannel(args, 'offset', channels, kernel),
      y,
      mean,
      variance,
      channels,
      Number(args.attrs?.epsilon ?? 1e-5),
    );
    return [
      args.backend.makeTensorInfo(x.shape, 'float32', y),
      args.backend.makeTensorInfo([channels], 'float32', mean),
      args.backend.makeTensorInfo([channels], 'float32', variance),
    ];
  };
}

/** inputs { dy, x, mean, variance, scale }, attrs { epsilon } → [dx, dScale, dOffset]. */
export function makeBatchNormTrainingGrad(addon: NativeAddon) {
  const kernel = TRAINING_KERNEL_NAMES.batchNormTrainingGrad;
  return (args: KernelArgs): tf.TensorInfo[] => {
    const x = args.inputs.x!;
    const channels = channelsOf(x.shape, kernel);
    const xv = values(args, 'x', kernel);
    const dy = values(args, 'dy', kernel);
    if (dy.length !== xv.length) throw new Error(`${kernel}: dy and x must have the same shape`);
    const dx = uninitializedFloat32(args.backend, xv.length);
    const dScale = new Float32Array(channels);
    const dOffset = new Float32Array(channels);
    addon.batchNormTrainingBackward(
      dy,
      xv,
      perChannel(args, 'mean', channels, kernel),
      perChannel(args, 'variance', channels, kernel),
      perChannel(args, 'scale', channels, kernel),
      dx,
      dScale,
      dOffset,
      channels,
      Number(args.attrs?.epsilon ?? 1e-5),
    );
    return [
      args.backend.makeTensorInfo(x.shape, 'float32', dx),
      args.backend.makeTensorInfo([channels], 'float32', dScale),
      args.backend.makeTensorInfo([channels], 'float32', dOffset),
    ];
  };
}

/** inputs { dy, x, alpha } (alpha per channel or scalar) → [dx, dAlpha shaped like alpha]. */
export function makePreluGrad(addon: NativeAddon) {
  const kernel = TRAINING_KERNEL_NAMES.preluGrad;
  return (args: KernelArgs): tf.TensorInfo[] => {
    const x = args.inputs.x!;
    const alpha = args.inputs.alpha!;
    const channels = channelsOf(x.shape, kernel);
    const xv = values(args, 'x', kernel);
    const dy = values(args, 'dy', kernel);
    const alphaValues = values(args, 'alpha', kernel);
    if (dy.length !== xv.length) throw new Error(`${kernel}: dy and x must have the same shape`);
    const mode = size(alpha.shape) === 1 ? 2 : alphaValues.length === channels ? 1 : 0;
    if (mode === 0) throw new Error(`${kernel}: alpha must be a scalar or hold one value per channel (${channels}), got [${alpha.shape.join(', ')}]`);
    const dx = uninitializedFloat32(args.backend, xv.length);
    const dAlpha = new Float32Array(alphaValues.length);
    addon.preluBackward(dy, xv, alphaValues, mode, dx, dAlpha, channels);
    return [args.backend.makeTensorInfo(x.shape, 'float32', dx), args.backend.makeTensorInfo(alpha.shape, 'float32', dAlpha)];
  };
}

/** inputs { w, g } (one size) → [2]: [Σw², Σg²]. */
export function makeSquaredNorms(addon: NativeAddon) {
  const kernel = TRAINING_KERNEL_NAMES.squaredNorms;
  return (args: KernelArgs): tf.TensorInfo => {
    const w = values(args, 'w', kernel);
    const g = values(args, 'g', kernel);
    if (w.length !== g.length) throw new Error(`${kernel}: w and g must have the same size`);
    const out = new Float32Array(2);
    addon.squaredNorms(w, g, out);
    return args.backend.makeTensorInfo([2], 'float32', out);
  };
}

/** inputs { w, g, m }, attrs { learningRate, momentum, weightDecay, eta, epsilon, weightNorm, gradientNorm, excluded } → [w', m']. */
export function makeLarsApply(addon: NativeAddon) {
  const kernel = TRAINING_KERNEL_NAMES.larsApply;
  return (args: KernelArgs): tf.TensorInfo[] => {
    const w = values(args, 'w', kernel);
    const g = values(args, 'g', kernel);
    const m = values(args, 'm', kernel);
    if (w.length !== g.length || w.length !== m.length) throw new Error(`${kernel}: w, g and m must have the same size`);
    const a = args.attrs ?? {};
    const wOut = uninitializedFloat32(args.backend, w.length);
    const mOut = uninitializedFloat32(args.backend, w.length);
    addon.larsApply(
      w,
      g,
      m,
      wOut,
      mOut,
      [a.learningRate, a.momentum, a.weightDecay, a.eta, a.epsilon, a.weightNorm, a.gradientNorm, a.excluded ? 1 : 0].map(Number),
    );
    const shape = args.inputs.w!.shape;
    return [args.backend.makeTensorInfo(shape, 'float32', wOut), args.backend.makeTensorInfo(shape, 'float32', mOut)];
  };
}

/** The fused training kernels by name, with their makers. */
export const TRAINING_KERNELS: readonly { kernelName: string; make: (addon: NativeAddon) => (args: KernelArgs) => tf.TensorInfo[] | tf.TensorInfo }[] = [
  { kernelName: TRAINING_KERNEL_NAMES.batchNormTraining, make: makeBatchNormTraining },
  { kernelName: TRAINING_KERNEL_NAMES.batchNormTrainingGrad, make: makeBatchNormTrainingGrad },
  { kernelName: TRAINING_KERNEL_NAMES.preluGrad, make: makePreluGrad },
  { kernelName: TRAINING_KERNEL_NAMES.conv2dResidual, make: makeConv2DResidual },
  { kernelName: TRAINING_KERNEL_NAMES.squaredNorms, make: makeSquaredNorms },
  { kernelName: TRAINING_KERNEL_NAMES.larsApply, make: makeLarsApply },
];
