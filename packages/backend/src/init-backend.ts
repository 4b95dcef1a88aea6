import * as tf from '@tensorflow/tfjs-core';
import { cpus } from 'node:os';
import { BigFaceError } from './errors';
import { registerWasmTrainingKernels } from './wasm-kernels';

/** A tensor backend BigFace can run on. `tensorflow` is libtensorflow through tfjs-node(-gpu). */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface InitBackendOptions {
  /**
   * Which backend to use. Default: the environment variable `BIGFACE_BACKEND` if set, else `auto`:
   * the first installed of `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`,
   * `@tensorflow/tfjs-backend-wasm`, `@tensorflow/tfjs-backend-cpu`.
   */
  backend?: BackendName | 'auto';
}

export interface BackendInfo {
  /** The tfjs backend name now active (`tf.getBackend()`). */
  name: BackendName;
  /** The npm package that provides it. */
  package: string;
  /** Threads one tensor op can use. */
  threads: number;
  /** Whether ops run on a GPU. */
  gpu: boolean;
  /** Kernels BigFace registered on top of the stock backend (e.g. wasm's missing training gradients). */
  addedKernels: string[];
}

interface Candidate {
  name: BackendName;
  package: string;
  gpu: boolean;
}

const CANDIDATES: readonly Candidate[] = [
  { name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', gpu: true },
  { name: 'tensorflow', package: '@tensorflow/tfjs-node', gpu: false },
  { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false },
  { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false },
];

const VALID_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

/** Loads a package by name; `undefined` when it is not installed, an error when it is installed but broken. */
async function tryImport(packageName: string): Promise<{ ok: true } | { ok: false; missing: boolean; error: unknown }> {
  try {
    // A variable specifier keeps bundlers and TypeScript from resolving optional peers at build time.
    const specifier: string = packageName;
    await import(specifier);
    return { ok: true };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = String((error as { message?: string }).message ?? '');
    const missing =
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(packageName);
    return { ok: false, missing, error };
  }
}

function installHint(candidates: readonly Candidate[]): string {
  return candidates.map((c) => `npm install ${c.package}@^4.22.0`).join(' or ');
}

/**
 * Chooses and initialises the tensor backend, once per process (calling again switches).
 *
 * @example
 * import { initBackend, tf } from '@bigface/backend';
 * const info = await initBackend();           // auto: tfjs-node-gpu > tfjs-node > wasm > cpu
 * console.log(info.name, info.threads, info.gpu);
 * await initBackend({ backend: 'cpu' });       // or BIGFACE_BACKEND=cpu
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const fromEnvironment = process.env.BIGFACE_BACKEND?.trim() || undefined;
  const requested = options.backend ?? fromEnvironment ?? 'auto';
  if (!(VALID_CHOICES as readonly string[]).includes(requested)) {
    const source = options.backend !== undefined ? 'initBackend({backend})' : 'BIGFACE_BACKEND';
    throw new BigFaceError(
      'UNKNOWN_BACKEND',
      `${source}: unknown backend '${requested}': choose one of ${VALID_CHOICES.join(', ')}`,
    );
  }
  const candidates = requested === 'auto' ? CANDIDATES : CANDIDATES.filter((c) => c.name === requested);
  const failures: string[] = [];
  for (const candidate of candidates) {
    const loaded = await tryImport(candidate.package);
    if (!loaded.ok) {
      if (!loaded.missing) {
        failures.push(`${candidate.package} is installed but failed to load: ${(loaded.error as Error).message}`);
      }
      continue;
    }
    if (candidate.name === 'wasm') registerWasmTrainingKernels();
    const ok = await tf.setBackend(candidate.name);
    if (!ok) {
      failures.push(`${candidate.package} loaded but backend '${candidate.name}' failed to initialise`);
      continue;
    }
    await tf.ready();
    if (candidate.name === 'cpu') {
      // The stock cpu backend prints a banner recommending tfjs-node on first use; BigFace says so in its docs.
      (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    }
    return {
      name: candidate.name,
      package: candidate.package,
      threads: candidate.name === 'tensorflow' ? cpus().length : 1,
      gpu: candidate.gpu,
      addedKernels: candidate.name === 'wasm' ? registerWasmTrainingKernels() : [],
    };
  }
  const details = failures.length > 0 ? ` (${failures.join('; ')})` : '';
  if (requested === 'auto') {
    throw new BigFaceError(
      'BACKEND_NOT_INSTALLED',
      `no tensor backend could be loaded${details}: ${installHint(CANDIDATES.slice(2))}`,
    );
  }
  throw new BigFaceError(
    'BACKEND_NOT_INSTALLED',
    `backend '${requested}' is not available${details}: install it with ${installHint(candidates)}` +
      (requested === 'tensorflow'
        ? ' (its install downloads libtensorflow, so the machine needs internet access; GPU needs CUDA)'
        : ''),
  );
}
