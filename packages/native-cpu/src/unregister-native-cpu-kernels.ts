import * as tf from '@tensorflow/tfjs-core';
import { added, ours, replaced } from './kernel-registry';

/**
 * Restores the stock tfjs `cpu` kernels that {@link registerNativeCpuKernels} replaced (e.g. to
 * compare native and JS results in one process). Returns the names restored.
 *
 * @example
 * import { registerNativeCpuKernels, unregisterNativeCpuKernels } from '@bigface/native-cpu';
 * registerNativeCpuKernels();
 * // ... native run ...
 * unregisterNativeCpuKernels(); // back to tfjs's JS kernels
 */
export function unregisterNativeCpuKernels(): string[] {
  const restored: string[] = [];
  for (const [kernelName, stock] of replaced) {
    const current = tf.getKernel(kernelName, 'cpu');
    if (current !== undefined && ours.has(current.kernelFunc)) {
      tf.unregisterKernel(kernelName, 'cpu');
      tf.registerKernel(stock);
      restored.push(kernelName);
    }
    replaced.delete(kernelName);
  }
  for (const kernelName of added) {
    const current = tf.getKernel(kernelName, 'cpu');
    if (current !== undefined && ours.has(current.kernelFunc)) {
      tf.unregisterKernel(kernelName, 'cpu');
      restored.push(kernelName);
    }
  }
  added.clear();
  return restored;
}
