import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterWasm } from './wasm-kernels/conv2d-backprop-filter';
import { makeConv2DBackpropInput } from './wasm-kernels/conv2d-backprop-input';
import { depthwiseConv2dNativeBackpropFilterWasm, depthwiseConv2dNativeBackpropInputWasm } from './wasm-kernels/depthwise-backprop';
import { unsortedSegmentSumWasm } from './wasm-kernels/unsorted-segment-sum';
import { guardWasmAllocations, unwrapGuardedKernel } from './wasm-kernels/memory-guard';

const asKernelFunc = (f: unknown) => f as tf.KernelFunc;

/** Training kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks, in the order they are registered. */
const MISSING_KERNELS: readonly tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: asKernelFunc(conv2DBackpropFilterWasm) },
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: asKernelFunc(unsortedSegmentSumWasm) },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc: asKernelFunc(depthwiseConv2dNativeBackpropFilterWasm),
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: asKernelFunc(depthwiseConv2dNativeBackpropInputWasm),
  },
];

/** Stock wasm kernels BigFace replaces with faster ones (keeping the stock setupFunc and using it as fallback). */
const REPLACED_KERNELS: readonly { kernelName: string; make: (stock: tf.KernelConfig) => unknown }[] = [
  { kernelName: 'Conv2DBackpropInput', make: makeConv2DBackpropInput },
];

/** Kernel functions this module registered (survives repeated calls; tells ours from others'). */
const ours = new WeakSet<tf.KernelFunc>();

/**
 * Registers the training kernels that @tensorflow/tfjs-backend-wasm lacks. Idempotent.
 * Returns the names of the kernels BigFace provides on wasm.
 *
 * Added: Conv2DBackpropFilter (XNNPACK convolutions), UnsortedSegmentSum (the gradient of
 * gather), DepthwiseConv2dNativeBackpropFilter/Input. Replaced, once the wasm backend package is
 * loaded: Conv2DBackpropInput (stock is a plain loop; BigFace's splits it by output phase into
 * XNNPACK convolutions). Kernels that other code registered for wasm are left alone and not
 * listed. Safe to call before @tensorflow/tfjs-backend-wasm is loaded: the kernels look up wasm's
 * own kernels (Conv2D, Transpose, Slice, BatchMatMul) only when they run.
 */
export function registerWasmTrainingKernels(): string[] {
  const provided: string[] = [];
  for (const config of MISSING_KERNELS) {
    const existing = tf.getKernel(config.kernelName, config.backendName);
    if (existing === undefined) {
      ours.add(config.kernelFunc);
      tf.registerKernel(config);
      provided.push(config.kernelName);
    } else if (ours.has(unwrapGuardedKernel(existing.kernelFunc))) {
      provided.push(config.kernelName);
    }
  }
  for (const { kernelName, make } of REPLACED_KERNELS) {
    const stock = tf.getKernel(kernelName, 'wasm');
    if (stock === undefined) continue; // wasm not loaded yet: a later call replaces it
    if (!ours.has(unwrapGuardedKernel(stock.kernelFunc))) {
      const kernelFunc = asKernelFunc(make(stock));
      ours.add(kernelFunc);
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel({ ...stock, kernelFunc });
    }
    provided.push(kernelName);
  }
  // Once the wasm backend exists: a full heap throws WASM_OUT_OF_MEMORY instead of corrupting memory.
  guardWasmAllocations();
  return provided;
}
