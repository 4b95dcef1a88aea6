import * as tf from '@tensorflow/tfjs-core';

/**
 * The parts of `BackendWasm` (from @tensorflow/tfjs-backend-wasm, an optional peer this package
 * never imports) that BigFace's wasm kernels use. Kernels receive the backend instance as `backend`.
 */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

export type KernelArgs<A = tf.NamedAttrMap> = {
  inputs: tf.NamedTensorInfoMap;
  backend: WasmBackend;
  attrs?: A;
};

/** Runs another kernel of the wasm backend (kernels call kernels, not ops: nothing is tracked by the engine). */
export function runWasmKernel(kernelName: string, backend: WasmBackend, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
  const config = tf.getKernel(kernelName, 'wasm');
  if (config === undefined) {
    throw new Error(`BigFace wasm kernels: the wasm backend has no '${kernelName}' kernel (is @tensorflow/tfjs-backend-wasm loaded?)`);
  }
  const result = config.kernelFunc({ inputs, backend, attrs });
  return Array.isArray(result) ? (result[0] as tf.TensorInfo) : result;
}

/** Frees kernel intermediates (decrements their reference count; shared data stays alive). */
export function disposeIntermediates(backend: WasmBackend, ...infos: (tf.TensorInfo | undefined)[]): void {
  for (const info of infos) if (info !== undefined) backend.disposeData(info.dataId);
}

/** A transpose through wasm's own Transpose kernel. */
export function transposeInfo(backend: WasmBackend, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runWasmKernel('Transpose', backend, { x }, { perm });
}

/** A zero-filled float32 output of `shape` on the wasm heap. */
export function zerosOutput(backend: WasmBackend, shape: number[], dtype: tf.DataType = 'float32'): tf.TensorInfo {
  const out = backend.makeOutput(shape, dtype);
  if (tf.util.sizeFromShape(shape) > 0) backend.typedArrayFromHeap(out).fill(0);
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
