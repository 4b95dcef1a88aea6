import type * as tf from '@tensorflow/tfjs-core';
import { cpuTensorValues, type CpuBackend } from '../tfjs-internals';

export type { CpuBackend };

export type KernelArgs = {
  inputs: Record<string, tf.TensorInfo | undefined>;
  backend: CpuBackend;
  attrs?: Record<string, unknown>;
};

/** The Float32Array that backs a float32 tensor in the cpu backend, or undefined (other dtype, not materialised). */
export function float32Values(backend: CpuBackend, tensor: tf.TensorInfo | undefined): Float32Array | undefined {
  if (tensor === undefined || tensor.dtype !== 'float32') return undefined;
  const values = cpuTensorValues(backend, tensor);
  return values instanceof Float32Array ? values : undefined;
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** tfjs fused activations in native/addon.cc's numbering. */
export const ACTIVATIONS: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  prelu: 3,
  leakyrelu: 4,
  elu: 5,
  sigmoid: 6,
};

/**
 * How a bias or prelu alpha of `shape` broadcasts against an output whose last dimension is
 * `channels`: 'channel' (only the last dimension is > 1 and equals channels), 'scalar', 'full'
 * (same number of elements as the output and same trailing shape), or undefined (another broadcast).
 */
export function broadcastKind(shape: readonly number[], outShape: readonly number[], channels: number): 'channel' | 'scalar' | 'full' | undefined {
  const n = size(shape);
  if (n === 1) return 'scalar';
  if (shape.length >= 1 && shape[shape.length - 1] === channels && n === channels) return 'channel';
  if (n === size(outShape) && shape.length <= outShape.length && shape.every((d, i) => d === outShape[outShape.length - shape.length + i])) return 'full';
  return undefined;
}

export { uninitializedFloat32 } from '../buffer-pool';
