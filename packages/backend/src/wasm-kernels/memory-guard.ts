import * as tf from '@tensorflow/tfjs-core';
import { BigFaceError } from '../errors';
import { wasmModuleOf, wrapBackendMethod, type WasmModule } from '../tfjs-internals';

export type { WasmModule };

/** The wasm32 address space: the most a tfjs wasm heap can ever hold. */
export const WASM_HEAP_LIMIT_BYTES = 2 ** 32;

const guarded = new WeakSet<object>();

const mebibytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function outOfMemory(bytes: number, heapBytes: number, why: string): BigFaceError {
  const what = bytes > 0 ? `cannot allocate ${mebibytes(bytes)} for a tensor` : 'the heap is exhausted';
  return new BigFaceError(
    'WASM_OUT_OF_MEMORY',
    `wasm backend out of memory: ${what} (${why}; ` +
      `heap ${mebibytes(heapBytes)}, ${mebibytes(tf.memory().numBytes)} held by ${tf.memory().numTensors} tensors). ` +
      'Lower the batch size (or split it into micro-batches), turn on gradient checkpointing, or train on a ' +
      'backend without the 4 GiB cap (cpu with @bigface/native-cpu, or @tensorflow/tfjs-node).',
  );
}

/**
 * Makes the wasm backend's tensor allocations fail loudly. tfjs-backend-wasm 4.22 ignores a failed
 * `malloc` (it returns 0 once the heap cannot grow past 4 GiB) and writes the tensor at address 0,
 * which surfaces later as "memory access out of bounds" or a corrupted result; allocations of 4 GiB
 * or more are silently truncated to 32 bits. The guard throws WASM_OUT_OF_MEMORY instead, with what
 * would fix it. Idempotent; a no-op when the wasm backend is not initialised.
 *
 * @returns whether the wasm backend is guarded now
 */
export function guardWasmAllocations(): boolean {
  const backend = tf.findBackend('wasm');
  const wasm = wasmModuleOf(backend);
  if (!backend || !wasm) return false;
  guardMalloc(wasm);
  guardKernels(wasm);
  guardBackendMethods(backend, wasm);
  return true;
}

/** A trap or abort inside the wasm module (what emscripten's abort() and out-of-bounds accesses throw). */
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }).WebAssembly.RuntimeError;
const isWasmTrap = (error: unknown) => error instanceof WasmRuntimeError;

/** The first failure inside the wasm module, replayed by later calls (the module is unusable after a trap). */
let firstFailure: BigFaceError | undefined;

/**
 * After a kernel traps, tfjs disposes the scope's tensors in a `finally`, and those calls trap
 * again ("memory access out of bounds" in `disposeData`), replacing the real error. The backend's
 * memory methods therefore rethrow the first failure.
 */
function guardBackendMethods(backend: tf.KernelBackend, wasm: WasmModule): void {
  if (guarded.has(backend)) return;
  guarded.add(backend);
  for (const name of ['disposeData', 'readSync', 'move'] as const) {
    wrapBackendMethod(backend, name, (method) => (...args: unknown[]) => {
      try {
        return method(...args);
      } catch (error) {
        if (!isWasmTrap(error)) throw error;
        throw firstFailure ?? kernelAborted(`backend.${name} (tensor memory)`, wasm.HEAPU8.length, error);
      }
    });
  }
}

/** Kernel wrappers installed by {@link guardKernels}, mapped to the kernel they wrap. */
const wrappedKernels = new WeakMap<tf.KernelFunc, tf.KernelFunc>();

/** The kernel function a guard wrapper calls (or `kernelFunc` itself when it is not a wrapper). @internal */
export function unwrapGuardedKernel(kernelFunc: tf.KernelFunc): tf.KernelFunc {
  return wrappedKernels.get(kernelFunc) ?? kernelFunc;
}

/**
 * Wraps every registered wasm kernel so that an abort inside the wasm module (a C++ allocation of
 * XNNPACK or a kernel failing once the heap is full prints "Aborted()" and throws a bare
 * `RuntimeError: memory access out of bounds`) becomes a BigFaceError naming the kernel, the heap
 * and what to do. One extra JS call per kernel.
 */
function guardKernels(wasm: WasmModule): void {
  for (const config of tf.getKernelsForBackend('wasm')) {
    if (wrappedKernels.has(config.kernelFunc)) continue;
    const kernelFunc = config.kernelFunc;
    const wrapper: tf.KernelFunc = (params) => {
      try {
        return kernelFunc(params);
      } catch (error) {
        if (!isWasmTrap(error)) throw error; // argument errors of the kernels stay as they are
        throw firstFailure ?? kernelAborted(`kernel ${config.kernelName}`, wasm.HEAPU8.length, error);
      }
    };
    wrappedKernels.set(wrapper, kernelFunc);
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: wrapper });
  }
}

function kernelAborted(where: string, heapBytes: number, cause: unknown): BigFaceError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const nearlyFull = heapBytes >= 0.75 * WASM_HEAP_LIMIT_BYTES;
  const error = nearlyFull
    ? outOfMemory(0, heapBytes, `${where} failed inside the wasm module: ${detail}`)
    : new BigFaceError('WASM_KERNEL_FAILED', `wasm ${where} failed inside the wasm module (${detail}; heap ${mebibytes(heapBytes)}).`);
  error.message += ' The wasm module may be unusable after this: restart the process.';
  firstFailure = error;
  return error;
}

/** Wraps one wasm module's `_malloc` (see {@link guardWasmAllocations}). @internal */
export function guardMalloc(wasm: WasmModule): void {
  if (guarded.has(wasm)) return;
  const malloc = wasm._malloc.bind(wasm);
  wasm._malloc = (bytes: number) => {
    if (bytes >= WASM_HEAP_LIMIT_BYTES) {
      throw outOfMemory(bytes, wasm.HEAPU8.length, 'larger than the 4 GiB wasm address space');
    }
    const address = malloc(bytes);
    if (address === 0 && bytes > 0) {
      throw outOfMemory(bytes, wasm.HEAPU8.length, 'the 4 GiB wasm heap is full');
    }
    return address;
  };
  guarded.add(wasm);
}
