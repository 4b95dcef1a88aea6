// Every place BigFace reaches past tfjs's public API, in one module. Each reach has a check in
// tfjs-internals.test.ts whose failure names the tfjs version it was written for, so that a tfjs
// upgrade breaks loudly here instead of quietly somewhere else. (@bigface/native-cpu, which cannot
// depend on this package, keeps its one reach — the cpu backend's tensor values — in its own
// tfjs-internals module, tested the same way.)
//
// 1. tfjs-backend-cpu's private `firstUse` flag (the "install tfjs-node" banner).
// 2. tfjs-backend-wasm's emscripten module (`backend.wasm`: `_malloc`, `HEAPU8`) and instance
//    methods replaced on the backend object (`disposeData`, `readSync`, `move`), for the heap guard.
// 3. tfjs-core's gradient and chained-op registrations, imported from its dist files
//    (register-gradients.ts: tfjs-core alone registers no gradients).
import type * as tf from '@tensorflow/tfjs-core';

/** The tfjs version every reach below was written against. */
export const TFJS_INTERNALS_VERSION = '4.22.0';

/** The emscripten module of tfjs-backend-wasm (the part BigFace touches). */
export interface WasmModule {
  _malloc(bytes: number): number;
  HEAPU8: Uint8Array;
}

/** Turns off tfjs-backend-cpu's one-time console banner (its private `firstUse` flag; BigFace documents the faster backends itself). */
export function silenceCpuBackendBanner(backend: tf.KernelBackend): void {
  (backend as unknown as { firstUse?: boolean }).firstUse = false;
}

/** Whether `backend` still has the `firstUse` flag silenceCpuBackendBanner sets (checked by the test). */
export function hasCpuBackendBannerFlag(backend: tf.KernelBackend): boolean {
  return typeof (backend as unknown as { firstUse?: unknown }).firstUse === 'boolean';
}

/** tfjs-backend-wasm's emscripten module (`BackendWasm.wasm`), or undefined when it does not look like one. */
export function wasmModuleOf(backend: tf.KernelBackend | null | undefined): WasmModule | undefined {
  const wasm = (backend as unknown as { wasm?: Partial<WasmModule> } | null | undefined)?.wasm;
  return wasm && typeof wasm._malloc === 'function' && wasm.HEAPU8 instanceof Uint8Array ? (wasm as WasmModule) : undefined;
}

/**
 * Replaces instance method `name` of a backend object with `wrap(original)` (the original is bound
 * to the backend). Returns false when the backend has no such method.
 */
export function wrapBackendMethod(
  backend: tf.KernelBackend,
  name: 'disposeData' | 'readSync' | 'move',
  wrap: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown,
): boolean {
  const target = backend as unknown as Record<string, unknown>;
  const method = target[name];
  if (typeof method !== 'function') return false;
  target[name] = wrap((method as (...args: unknown[]) => unknown).bind(backend));
  return true;
}
