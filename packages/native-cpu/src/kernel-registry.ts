import type * as tf from '@tensorflow/tfjs-core';
import { loadAddon, type NativeAddon } from './load-addon';
import type { KernelArgs } from './kernels/common';
import { makeConv2D, makeConv2DBackpropFilter, makeConv2DBackpropInput, makeDepthwiseConv2D, makeFusedConv2D } from './kernels/conv2d';
import { makeBatchMatMul, makeFusedMatMul } from './kernels/matmul';
import { makeBinary, makeClip, makeFusedBatchNorm, makeGreater, makePrelu, makeReduce, makeSelect, makeSquare } from './kernels/elementwise';

type Fallback = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];
type Maker = (addon: NativeAddon, stock: Fallback) => (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** The cpu kernels @bigface/native-cpu replaces, with the makers of their native versions. */
export const NATIVE_KERNELS: readonly { kernelName: string; make: Maker }[] = [
  { kernelName: 'Conv2D', make: makeConv2D },
  { kernelName: 'FusedConv2D', make: makeFusedConv2D },
  { kernelName: 'Conv2DBackpropInput', make: makeConv2DBackpropInput },
  { kernelName: 'Conv2DBackpropFilter', make: makeConv2DBackpropFilter },
  { kernelName: 'DepthwiseConv2dNative', make: makeDepthwiseConv2D },
  { kernelName: 'BatchMatMul', make: makeBatchMatMul },
  { kernelName: '_FusedMatMul', make: makeFusedMatMul },
  // What a profile of an IResNet training step showed next: BatchNorm's per-channel statistics and
  // broadcasts, Prelu. Small tensors (< 4096 values) stay on the JS kernels.
  { kernelName: 'Add', make: makeBinary('Add') },
  { kernelName: 'Sub', make: makeBinary('Sub') },
  { kernelName: 'Multiply', make: makeBinary('Multiply') },
  { kernelName: 'RealDiv', make: makeBinary('RealDiv') },
  { kernelName: 'Sum', make: makeReduce('Sum') },
  { kernelName: 'Mean', make: makeReduce('Mean') },
  { kernelName: 'Square', make: makeSquare },
  { kernelName: 'Prelu', make: makePrelu },
  { kernelName: 'Greater', make: makeGreater },
  { kernelName: 'Select', make: makeSelect },
  { kernelName: 'FusedBatchNorm', make: makeFusedBatchNorm },
  // The face detector's MobileNet (relu6 after every convolution) and the tiny detector.
  { kernelName: 'ClipByValue', make: makeClip('ClipByValue') },
  { kernelName: 'Relu', make: makeClip('Relu') },
  { kernelName: 'Relu6', make: makeClip('Relu6') },
];

/** The stock cpu kernel configs that native ones replaced, by kernel name (to restore them). */
export const replaced = new Map<string, tf.KernelConfig>();
/** Kernels this package added that tfjs does not have (removed again by unregister). */
export const added = new Set<string>();
/** Kernel functions registered by this package (tells ours from others'). */
export const ours = new WeakSet<tf.KernelFunc>();

export { loadAddon };
