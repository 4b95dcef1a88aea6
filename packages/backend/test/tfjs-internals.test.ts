// One check per place BigFace reaches past tfjs's public API (src/tfjs-internals.ts). A failure here
// after a tfjs upgrade means that reach must be rewritten for the new version: each message says
// which version the code was written for.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '@bigface/backend';
import { hasCpuBackendBannerFlag, TFJS_INTERNALS_VERSION, wasmModuleOf, wrapBackendMethod } from '../src/tfjs-internals';

const require = createRequire(import.meta.url);
const installed = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
const written = (what: string) => `${what}: written for tfjs ${TFJS_INTERNALS_VERSION}, installed tfjs-core ${installed('@tensorflow/tfjs-core')}`;

afterAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe(`tfjs internals (written for ${TFJS_INTERNALS_VERSION})`, () => {
  it('tfjs-core, -backend-cpu and -backend-wasm are the version the internals were written for', () => {
    for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm']) {
      expect(installed(name), `${name}: BigFace's tfjs internals were written for ${TFJS_INTERNALS_VERSION}; recheck src/tfjs-internals.ts`).toBe(
        TFJS_INTERNALS_VERSION,
      );
    }
  });

  it("tfjs-backend-cpu still has the private 'firstUse' flag of its console banner", async () => {
    await initBackend({ backend: 'cpu', native: false });
    expect(hasCpuBackendBannerFlag(tf.backend()), written("MathBackendCPU.firstUse (the 'install tfjs-node' banner)")).toBe(true);
  });

  it('tfjs-backend-wasm still exposes its emscripten module (_malloc, HEAPU8) and the instance methods the heap guard wraps', async () => {
    await initBackend({ backend: 'wasm' });
    const backend = tf.backend();
    expect(wasmModuleOf(backend), written('BackendWasm.wasm (_malloc, HEAPU8)')).toBeDefined();
    for (const name of ['disposeData', 'readSync', 'move'] as const) {
      // Wrapping with an identity wrapper must keep the backend working.
      expect(
        wrapBackendMethod(
          backend,
          name,
          (original) =>
            (...args: unknown[]) =>
              original(...args),
        ),
        written(`BackendWasm.${name}`),
      ).toBe(true);
    }
    const x = tf.tensor([1, 2, 3]);
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3]);
    x.dispose();
  });

  it("tfjs-core's dist gradient registrations are imported: training works with tfjs-core alone", async () => {
    await initBackend({ backend: 'wasm' });
    for (const kernel of ['RealDiv', 'Conv2D', 'FusedBatchNorm', 'Prelu', 'Sum']) {
      expect(tf.getGradient(kernel), written(`tfjs-core/dist/register_all_gradients (${kernel})`)).toBeDefined();
    }
    // Chained ops (x.mul(y)) come from the same dist registrations.
    const product = tf.scalar(2).mul(tf.scalar(3));
    expect(product.dataSync()[0], written('tfjs-core/dist/public/chained_ops/register_all_chained_ops')).toBe(6);
  });
});
