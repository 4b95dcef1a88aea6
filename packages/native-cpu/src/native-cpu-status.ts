import { loadAddon } from './load-addon';

export type NativeCpuStatus =
  | { available: true; path: string; threads: number; onednn: string; isa: string; bf16: boolean }
  | { available: false; reason: string };

/**
 * Whether the native addon is built and loads, with oneDNN's version, its thread count, the instruction
 * set oneDNN runs at and whether bf16 is available there, or
 * the reason it is not available (and how to fix it).
 *
 * @example
 * import { nativeCpuStatus } from '@bigface/native-cpu';
 * const status = nativeCpuStatus();
 * console.log(status.available ? `oneDNN ${status.onednn}, ${status.threads} threads` : status.reason);
 */
export function nativeCpuStatus(): NativeCpuStatus {
  const loaded = loadAddon();
  if (!loaded.addon) return { available: false, reason: loaded.reason };
  const info = loaded.addon.info();
  return { available: true, path: loaded.path, threads: info.threads, onednn: info.onednn, isa: info.isa, bf16: info.bf16 };
}
