import { loadAddon } from './load-addon';

let current: 'fp32' | 'bf16' = 'fp32';

/**
 * Sets the precision of this thread's native convolutions and matmuls (each worker-thread rank sets
 * its own): `fp32`, or `bf16` — bf16 operands with fp32 accumulation and fp32 results, on CPUs with
 * AVX-512 BF16 or AMX (anything else throws NATIVE_CPU_NO_BF16 naming the CPU's instruction set).
 * Everything else (BatchNorm, PReLU, losses, the optimizer) stays fp32: mixed precision.
 *
 * @example
 * import { setNativePrecision } from '@bigface/native-cpu';
 * setNativePrecision('bf16');
 */
export function setNativePrecision(precision: 'fp32' | 'bf16'): void {
  const loaded = loadAddon();
  if (!loaded.addon)
    throw Object.assign(new Error(`setNativePrecision: the native addon is not available (${loaded.reason})`), { code: 'NATIVE_CPU_UNAVAILABLE' });
  loaded.addon.setPrecision(precision);
  current = precision;
}

/** This thread's native precision (see {@link setNativePrecision}). */
export function nativePrecision(): 'fp32' | 'bf16' {
  return current;
}
