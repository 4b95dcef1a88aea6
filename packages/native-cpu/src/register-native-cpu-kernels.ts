import * as tf from '@tensorflow/tfjs-core';
import { added, loadAddon, NATIVE_KERNELS, ours, replaced } from './kernel-registry';
import { nativeBufferPoolStats, sharePoolAmongThreads, watchCpuBackend } from './buffer-pool';
import type { CpuBackend } from './tfjs-internals';
import { TRAINING_KERNELS } from './kernels/training';
import type { KernelArgs } from './kernels/common';

export interface RegisterNativeCpuKernelsOptions {
  /** Threads for oneDNN / OpenMP. Default: OMP_NUM_THREADS, else all cores. */
  threads?: number;
}

/**
 * Replaces kernels of tfjs's `cpu` backend with native ones that read and write the backend's own
 * Float32Arrays (no copies; multi-threaded with OpenMP): Conv2D, FusedConv2D,
 * Conv2DBackpropInput (oneDNN, NHWC activations / HWIO filters as tfjs stores them),
 * Conv2DBackpropFilter (im2col + oneDNN sgemm), BatchMatMul, _FusedMatMul (oneDNN sgemm), and
 * the elementwise kernels an IResNet
 * training step spends its time in: Add, Sub, Multiply, RealDiv (same-shape, per-channel or scalar
 * operands), Sum and Mean (over leading or trailing axes), Square, Prelu, ClipByValue, Relu, Relu6, Greater, Select and
 * FusedBatchNorm. Whatever a native kernel does not cover (NCHW, non-float32 dtypes, other
 * broadcasts, tensors under 4096 values for the elementwise ones) runs the stock kernel. The stock
 * setupFunc/disposeFunc are kept. It also adds the fused training kernels BigFaceBatchNormTraining,
 * BigFaceBatchNormTrainingGrad and BigFacePreluGrad (one pass each, where tfjs composes 5–10 ops),
 * which @bigface/resnet-zoo's training-mode BatchNorm and PReLU use when the backend has them. Idempotent. Returns the names of the kernels now native, or `[]`
 * when the addon is not built (see {@link nativeCpuStatus} for why). Import
 * `@tensorflow/tfjs-backend-cpu` first so that its kernels exist to be replaced.
 *
 * @example
 * import '@tensorflow/tfjs-backend-cpu';
 * import { registerNativeCpuKernels } from '@bigface/native-cpu';
 * const native = registerNativeCpuKernels(); // ['Conv2D', 'FusedConv2D', ...] or [] without the addon
 */
export function registerNativeCpuKernels(options: RegisterNativeCpuKernelsOptions = {}): string[] {
  const loaded = loadAddon();
  if (!loaded.addon) return [];
  const { addon } = loaded;
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new TypeError(`registerNativeCpuKernels({threads}): threads must be a positive integer, got ${options.threads}`);
    }
    addon.setThreads(options.threads);
    sharePoolAmongThreads(options.threads); // fewer threads per rank: more ranks sharing the RAM
  }
  nativeBufferPoolStats(); // a bad BIGFACE_NATIVE_POOL_MB is reported here, not from inside the first kernel
  const cpu = tf.findBackend('cpu');
  if (cpu) watchCpuBackend(cpu as unknown as CpuBackend); // arrays read by user code from now on are known
  // BIGFACE_NATIVE_WEIGHTS_CACHE_MB: the most memory this thread's reordered filters keep (default 1024, 0 = off).
  const cacheMb = process.env.BIGFACE_NATIVE_WEIGHTS_CACHE_MB;
  if (cacheMb !== undefined && cacheMb.trim() !== '') {
    const mb = Number(cacheMb);
    if (!Number.isFinite(mb) || mb < 0)
      throw new TypeError(`BIGFACE_NATIVE_WEIGHTS_CACHE_MB must be a number of megabytes >= 0 (0 turns the cache off), got '${cacheMb}'`);
    addon.weightsCache(Math.floor(mb * 2 ** 20));
  }
  const registered: string[] = [];
  // BIGFACE_NATIVE_EXCLUDE=Kernel,Kernel keeps those on the JS kernels (to compare or to isolate a problem).
  const excluded = new Set((process.env.BIGFACE_NATIVE_EXCLUDE ?? '').split(',').map((name) => name.trim()));
  for (const { kernelName, make } of NATIVE_KERNELS) {
    if (excluded.has(kernelName)) continue;
    const current = tf.getKernel(kernelName, 'cpu');
    if (current === undefined) continue; // @tensorflow/tfjs-backend-cpu not loaded (or no such kernel)
    if (!ours.has(current.kernelFunc)) {
      const stock = current.kernelFunc as unknown as (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];
      const kernelFunc = make(addon, stock) as unknown as tf.KernelFunc;
      ours.add(kernelFunc);
      replaced.set(kernelName, current);
      tf.unregisterKernel(kernelName, 'cpu');
      // Keep the stock setupFunc / disposeFunc.
      tf.registerKernel({ ...current, kernelFunc });
    }
    registered.push(kernelName);
  }
  // Fused training kernels tfjs has no counterpart of (used by @bigface/resnet-zoo when present).
  for (const { kernelName, make } of TRAINING_KERNELS) {
    if (excluded.has(kernelName)) continue;
    if (tf.getKernel(kernelName, 'cpu') === undefined) {
      const kernelFunc = make(addon) as unknown as tf.KernelFunc;
      ours.add(kernelFunc);
      tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc });
      added.add(kernelName);
    }
    registered.push(kernelName);
  }
  return registered;
}
