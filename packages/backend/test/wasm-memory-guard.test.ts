import { describe, expect, it } from 'vitest';
import { initBackend, isBigFaceError, registerWasmTrainingKernels, tf } from '@bigface/backend';
import { guardMalloc, type WasmModule } from '../src/wasm-kernels/memory-guard';

// What a wasm trap throws (the WebAssembly namespace is not in this package's TypeScript libs).
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }).WebAssembly.RuntimeError;

describe('wasm allocation guard', () => {
  it('a tensor larger than the 4 GiB wasm heap is a clear WASM_OUT_OF_MEMORY error, and nothing leaks', async () => {
    await initBackend({ backend: 'wasm' });
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      tf.fill([1100, 1000, 1000], 1); // 4.4e9 bytes: tfjs-backend-wasm would truncate the size to 32 bits
    } catch (caught) {
      error = caught;
    }
    expect(isBigFaceError(error) && error.code).toBe('WASM_OUT_OF_MEMORY');
    expect(String((error as Error).message)).toContain(`cannot allocate ${((1100 * 1000 * 1000 * 4) / 2 ** 20).toFixed(1)} MiB`);
    expect(String((error as Error).message)).toMatch(/micro-batches.*checkpointing/);
    expect(tf.memory().numTensors).toBe(before);
    // The backend still works afterwards.
    const sum = tf.tidy(() => tf.fill([4, 4], 2).sum().dataSync()[0]);
    expect(sum).toBe(32);
  });

  it('a malloc that returns 0 (heap full) throws instead of handing out address 0', () => {
    let next = 64;
    const module: WasmModule = {
      HEAPU8: new Uint8Array(1024),
      _malloc: (bytes) => {
        if (bytes > 100) return 0;
        next += bytes;
        return next;
      },
    };
    guardMalloc(module);
    guardMalloc(module); // idempotent: wrapped once
    expect(module._malloc(10)).toBe(74);
    expect(module._malloc(0)).toBe(74);
    expect(() => module._malloc(200)).toThrow(/WASM_OUT_OF_MEMORY|the 4 GiB wasm heap is full/);
  });

  it('a wasm kernel that aborts inside the module becomes a BigFaceError naming the kernel; re-registering wraps nothing twice', async () => {
    await initBackend({ backend: 'wasm' });
    tf.registerKernel({
      kernelName: 'BigFaceTestAbort',
      backendName: 'wasm',
      kernelFunc: () => {
        throw new WasmRuntimeError('memory access out of bounds');
      },
    });
    const conv = tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc;
    const first = registerWasmTrainingKernels();
    expect(registerWasmTrainingKernels()).toEqual(first);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(conv);
    const x = tf.zeros([2]);
    let error: unknown;
    try {
      tf.engine().runKernel('BigFaceTestAbort', { x }, {});
    } catch (caught) {
      error = caught;
    }
    x.dispose();
    tf.unregisterKernel('BigFaceTestAbort', 'wasm');
    expect(isBigFaceError(error) && error.code).toBe('WASM_KERNEL_FAILED');
    expect((error as Error).message).toMatch(/BigFaceTestAbort.*memory access out of bounds.*restart the process/);
    // Ordinary JS errors of kernels (argument checks) are not traps: they pass through unchanged.
    const plain = new Error('BigFaceTestPlain: bad argument');
    tf.registerKernel({
      kernelName: 'BigFaceTestPlain',
      backendName: 'wasm',
      kernelFunc: () => {
        throw plain;
      },
    });
    registerWasmTrainingKernels();
    expect(() => tf.engine().runKernel('BigFaceTestPlain', {}, {})).toThrow(plain);
    tf.unregisterKernel('BigFaceTestPlain', 'wasm');
  });
});
