// The one reach past tfjs's public API (src/tfjs-internals.ts): a failure after a tfjs upgrade names
// the version the code was written for.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { cpuTensorValues, TFJS_INTERNALS_VERSION, type CpuBackend } from '../src/tfjs-internals';

it(`tfjs-backend-cpu keeps a tensor's Float32Array at backend.data.get(dataId).values (written for ${TFJS_INTERNALS_VERSION})`, async () => {
  const version = (createRequire(import.meta.url)('@tensorflow/tfjs-backend-cpu/package.json') as { version: string }).version;
  const message = `MathBackendCPU.data.get(dataId).values: written for tfjs ${TFJS_INTERNALS_VERSION}, installed tfjs-backend-cpu ${version}`;
  await tf.setBackend('cpu');
  const x = tf.tensor([1.5, 2.5, 3.5]);
  const values = cpuTensorValues(tf.backend() as unknown as CpuBackend, x);
  expect(values, message).toBeInstanceOf(Float32Array);
  expect(Array.from(values as Float32Array), message).toEqual([1.5, 2.5, 3.5]);
  // The native kernels write their outputs in place: the array is the tensor's own storage.
  (values as Float32Array)[0] = 9;
  expect(x.dataSync()[0], message).toBe(9);
  x.dispose();
});
