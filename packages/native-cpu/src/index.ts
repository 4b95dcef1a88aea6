export { registerNativeCpuKernels, type RegisterNativeCpuKernelsOptions } from './register-native-cpu-kernels';
export { unregisterNativeCpuKernels } from './unregister-native-cpu-kernels';
export { nativeCpuStatus, type NativeCpuStatus } from './native-cpu-status';
export { nativeAddon, type NativeAddon } from './native-addon';
export { TRAINING_KERNEL_NAMES } from './kernels/training';
export { setNativePrecision, nativePrecision } from './native-precision';
export { nativeBufferPoolStats, releaseNativeBufferPool, type NativeBufferPoolStats } from './buffer-pool';
