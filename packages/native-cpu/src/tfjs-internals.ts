// The one place @bigface/native-cpu reaches past tfjs's public kernel API: the Float32Array that
// backs a tensor in tfjs-backend-cpu (`MathBackendCPU.data.get(dataId).values`), read and written
// in place by the native kernels, and the backend's tensor storage itself (`MathBackendCPU.data`, a
// DataStorage: set / get / has / delete) and `readSync`, which the buffer pool wraps to know when a
// buffer is free again. Checked by test/tfjs-internals.test.ts against the tfjs version below
// (@bigface/backend keeps its own reaches in its tfjs-internals module).
import type * as tf from '@tensorflow/tfjs-core';

/** The tfjs version this reach was written against. */
export const TFJS_INTERNALS_VERSION = '4.22.0';

/** The parts of tfjs-backend-cpu's MathBackendCPU the native kernels use. */
export interface CpuBackend {
  data: { get(dataId: tf.DataId): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array | Uint8Array): tf.TensorInfo;
  readSync(dataId: tf.DataId): unknown;
}

/** tfjs-backend-cpu's DataStorage (`MathBackendCPU.data`): every tensor's entry, by dataId. */
export interface CpuBackendStorage {
  set(dataId: tf.DataId, value: { values?: unknown }): void;
  get(dataId: tf.DataId): { values?: unknown } | undefined;
  has(dataId: tf.DataId): boolean;
  delete(dataId: tf.DataId): boolean;
}

/** The backend's tensor storage, to be wrapped by the buffer pool. */
export function cpuBackendStorage(backend: CpuBackend): CpuBackendStorage {
  return backend.data as unknown as CpuBackendStorage;
}

/** The typed array behind a tensor of the cpu backend (undefined when it is not materialised). */
export function cpuTensorValues(backend: CpuBackend, tensor: tf.TensorInfo): unknown {
  return backend.data.get(tensor.dataId)?.values;
}
