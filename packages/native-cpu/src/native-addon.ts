import { loadAddon, type NativeAddon } from './load-addon';

export type { NativeAddon };

/**
 * The raw addon (oneDNN convolutions and sgemm on Float32Arrays), or undefined when it is not
 * built. For benchmarks and tests; models use the registered tfjs kernels.
 *
 * @example
 * import { nativeAddon } from '@bigface/native-cpu';
 * nativeAddon()?.setThreads(2);
 */
export function nativeAddon(): NativeAddon | undefined {
  return loadAddon().addon;
}
