import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '@bigface/backend';

const packagesDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const workspaceRoot = join(packagesDirectory, '..');

function resolveFrom(packageName: string, specifier: string): string {
  const require = createRequire(join(packagesDirectory, packageName, 'package.json'));
  return realpathSync(require.resolve(specifier));
}

describe('one tfjs-core for the whole workspace', () => {
  it('every tensor package and the wasm/cpu backends resolve the same tfjs-core file', () => {
    const fromBackend = resolveFrom('backend', '@tensorflow/tfjs-core');
    for (const other of ['margin-losses', 'lars', 'resnet-zoo']) {
      expect(resolveFrom(other, '@tensorflow/tfjs-core')).toBe(fromBackend);
    }
    const wasmRequire = createRequire(resolveFrom('backend', '@tensorflow/tfjs-backend-wasm'));
    expect(realpathSync(wasmRequire.resolve('@tensorflow/tfjs-core'))).toBe(fromBackend);
    const cpuRequire = createRequire(resolveFrom('backend', '@tensorflow/tfjs-backend-cpu'));
    expect(realpathSync(cpuRequire.resolve('@tensorflow/tfjs-core'))).toBe(fromBackend);
  });

  it('the lockfile holds exactly one version of tfjs-core', () => {
    const lockfile = readFileSync(join(workspaceRoot, 'pnpm-lock.yaml'), 'utf8');
    const versions = new Set([...lockfile.matchAll(/^ {2}'@tensorflow\/tfjs-core@([^'(]+)/gm)].map((m) => m[1]));
    expect([...versions]).toEqual(['4.22.0']);
  });

  it("a tensor made through another package's tfjs-core lives in @bigface/backend's engine and differentiates", async () => {
    await initBackend({ backend: 'cpu' });
    // Load tfjs-core the way a second workspace package does (CommonJS require from its own folder).
    const otherTf = createRequire(join(packagesDirectory, 'margin-losses', 'package.json'))('@tensorflow/tfjs-core') as typeof tf;
    expect(otherTf.engine()).toBe(tf.engine());
    const before = tf.memory().numTensors;
    const x = otherTf.tensor1d([1, 2, 3]);
    expect(tf.memory().numTensors).toBe(before + 1);
    // d/dx sum(x^3) = 3x^2, computed with the gradients @bigface/backend registered.
    const gradient = tf.grad((v: tf.Tensor) => tf.sum(tf.pow(v, 3)))(x);
    expect(Array.from(gradient.dataSync())).toEqual([3, 12, 27]);
    tf.dispose([x, gradient]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
