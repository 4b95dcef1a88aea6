// W ranks on one machine (each given cores / W threads) each keep RAM / 8 / W of free buffers by default.
import { availableParallelism, totalmem } from 'node:os';
import { expect, it } from 'vitest';
import { nativeBufferPoolStats, nativeCpuStatus, registerNativeCpuKernels, unregisterNativeCpuKernels } from '../src/index';

it.skipIf(!nativeCpuStatus().available || process.env.BIGFACE_NATIVE_POOL_MB !== undefined)(
  'sizes the default pool cap by the ranks sharing the machine',
  () => {
    registerNativeCpuKernels({ threads: availableParallelism() });
    expect(nativeBufferPoolStats().capBytes).toBe(Math.floor(totalmem() / 8));
    registerNativeCpuKernels({ threads: 1 }); // one thread per rank: as many ranks as cores
    expect(nativeBufferPoolStats().capBytes).toBe(Math.floor(totalmem() / 8 / availableParallelism()));
    unregisterNativeCpuKernels();
  },
);
