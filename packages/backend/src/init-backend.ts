import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { BigFaceError } from './errors';
import { silenceCpuBackendBanner } from './tfjs-internals';
import { registerWasmTrainingKernels } from './wasm-kernels';

/** A tensor backend BigFace can run on. `tensorflow` is libtensorflow through tfjs-node(-gpu). */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface InitBackendOptions {
  /**
   * Which backend to use. Default: the environment variable `BIGFACE_BACKEND` if set, else `auto`:
   * the first installed of `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`,
   * `@tensorflow/tfjs-backend-cpu` with @bigface/native-cpu kernels (when built),
   * `@tensorflow/tfjs-backend-wasm`, `@tensorflow/tfjs-backend-cpu`.
   */
  backend?: BackendName | 'auto';
  /**
   * Whether the `cpu` backend uses @bigface/native-cpu's oneDNN kernels when that package is
   * installed and its addon built. Default: true unless the environment variable `BIGFACE_NATIVE`
   * is `0` (set it, or pass false, to compare against tfjs's JS kernels). In `auto`, cpu with native
   * kernels comes after tfjs-node and before wasm.
   */
  native?: boolean;
  /**
   * Threads one tensor op may use on the native cpu kernels (oneDNN/OpenMP), for the calling
   * thread only: each worker-thread rank sets its own. Default: `OMP_NUM_THREADS`, else every core.
   * W ranks on one machine should take `cores / W` each (train does): more threads than cores
   * make OpenMP's teams wait on each other.
   */
  threads?: number;
  /**
   * `fp32` (default), or `bf16` mixed precision: convolutions and matmuls with bf16 operands, fp32
   * accumulation and fp32 results (BatchNorm, losses, softmax and the optimizer stay fp32). Needs the
   * native cpu kernels on a CPU with AVX-512 BF16 or AMX; anywhere else initBackend throws
   * PRECISION_UNSUPPORTED saying what is missing. Per calling thread, like `threads`.
   */
  precision?: 'fp32' | 'bf16';
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
  /** cpu kernels running natively (oneDNN, @bigface/native-cpu); `[]` when none. */
  nativeKernels: string[];
  /** One line for logs and reports, e.g. `cpu + native oneDNN kernels, 2 threads` or `wasm (1 thread)`. */
  description: string;
  /** The precision of convolutions and matmuls (see {@link InitBackendOptions.precision}). */
  precision: 'fp32' | 'bf16';
}

interface Candidate {
  name: BackendName;
  package: string;
  gpu: boolean;
  /** The cpu backend with @bigface/native-cpu's kernels (tried only when they load). */
  native?: boolean;
}

const CANDIDATES: readonly Candidate[] = [
  { name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', gpu: true },
  { name: 'tensorflow', package: '@tensorflow/tfjs-node', gpu: false },
  { name: 'cpu', package: '@bigface/native-cpu', gpu: false, native: true },
  { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false },
  { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false },
];

const VALID_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

/**
 * The libtensorflow package `initBackend({ backend: 'auto' | 'tensorflow' })` would load
 * (`@tensorflow/tfjs-node-gpu`, else `@tensorflow/tfjs-node`), or undefined when neither is
 * installed — found without loading it. Such a backend cannot run in more than one worker thread
 * of a process (tensorflow/tfjs#8388), so its ranks must be processes.
 *
 * @example
 * if (installedTensorflowPackage()) console.log('ranks run as processes');
 */
export function installedTensorflowPackage(): '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node' | undefined {
  const require = createRequire(import.meta.url);
  for (const candidate of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const) {
    try {
      require.resolve(candidate);
      return candidate;
    } catch {
      // not installed
    }
  }
  return undefined;
}

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
    const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(packageName);
    return { ok: false, missing, error };
  }
}

/** The part of @bigface/native-cpu's API initBackend uses (it is an optional dependency). */
interface NativeCpuModule {
  registerNativeCpuKernels(options?: { threads?: number }): string[];
  setNativePrecision(precision: 'fp32' | 'bf16'): void;
  unregisterNativeCpuKernels(): string[];
  nativeCpuStatus(): { available: true; threads: number } | { available: false; reason: string };
}

/** @bigface/native-cpu when installed and loadable (the addon itself may still be unbuilt). */
async function importNative(): Promise<NativeCpuModule | undefined> {
  try {
    const specifier: string = '@bigface/native-cpu';
    return (await import(specifier)) as NativeCpuModule;
  } catch {
    return undefined;
  }
}

/** Registers the native kernels into tfjs's cpu backend; `[]` when the package or its addon is missing. */
async function enableNative(threads: number | undefined, precision: 'fp32' | 'bf16'): Promise<{ kernels: string[]; threads: number }> {
  const native = await importNative();
  if (!native) return { kernels: [], threads: 1 };
  await import('@tensorflow/tfjs-backend-cpu');
  const kernels = native.registerNativeCpuKernels(threads === undefined ? {} : { threads });
  if (kernels.length > 0) {
    try {
      native.setNativePrecision(precision);
    } catch (error) {
      throw new BigFaceError('PRECISION_UNSUPPORTED', `initBackend({precision: '${precision}'}): ${(error as Error).message}; use precision 'fp32'`, {
        cause: error,
      });
    }
  }
  const status = native.nativeCpuStatus();
  return { kernels, threads: status.available ? status.threads : 1 };
}

/** Puts tfjs's stock JS kernels back on the cpu backend (a no-op when native ones were never registered). */
async function disableNative(): Promise<void> {
  (await importNative())?.unregisterNativeCpuKernels();
}

function installHint(candidates: readonly Candidate[]): string {
  return candidates
    .filter((c) => !c.native)
    .map((c) => `npm install ${c.package}@^4.22.0`)
    .join(' or ');
}

/**
 * Chooses and initialises the tensor backend, once per process (calling again switches).
 *
 * @example
 * import { initBackend, tf } from '@bigface/backend';
 * const info = await initBackend();           // auto: tfjs-node-gpu > tfjs-node > cpu+native > wasm > cpu
 * console.log(info.name, info.threads, info.gpu, info.nativeKernels);
 * await initBackend({ backend: 'cpu' });       // or BIGFACE_BACKEND=cpu (native kernels when built)
 * await initBackend({ backend: 'cpu', native: false }); // or BIGFACE_NATIVE=0: tfjs's JS kernels
 * await initBackend({ threads: 1 });          // one core per op (e.g. one of two ranks on 2 cores)
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const fromEnvironment = process.env.BIGFACE_BACKEND?.trim() || undefined;
  const requested = options.backend ?? fromEnvironment ?? 'auto';
  if (!(VALID_CHOICES as readonly string[]).includes(requested)) {
    const source = options.backend !== undefined ? 'initBackend({backend})' : 'BIGFACE_BACKEND';
    throw new BigFaceError('UNKNOWN_BACKEND', `${source}: unknown backend '${requested}': choose one of ${VALID_CHOICES.join(', ')}`);
  }
  const useNative = options.native ?? process.env.BIGFACE_NATIVE?.trim() !== '0';
  const precision = options.precision ?? 'fp32';
  if (precision !== 'fp32' && precision !== 'bf16') {
    throw new BigFaceError('INVALID_PRECISION', `initBackend({precision}): precision must be 'fp32' or 'bf16', got ${String(precision)}`);
  }
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new BigFaceError('INVALID_THREADS', `initBackend({threads}): threads must be a positive integer, got ${String(options.threads)}`);
  }
  const candidates = (requested === 'auto' ? CANDIDATES : CANDIDATES.filter((c) => c.name === requested)).filter((c) => useNative || !c.native);
  const failures: string[] = [];
  for (const candidate of candidates) {
    if (candidate.native) {
      const native = await enableNative(options.threads, precision);
      if (native.kernels.length === 0) continue; // not installed or not built: wasm / plain cpu next
      if (!(await tf.setBackend('cpu'))) {
        failures.push(`backend 'cpu' failed to initialise`);
        continue;
      }
      await tf.ready();
      silenceCpuBackendBanner(tf.backend());
      return {
        name: 'cpu',
        package: '@tensorflow/tfjs-backend-cpu + @bigface/native-cpu',
        threads: native.threads,
        gpu: false,
        addedKernels: [],
        nativeKernels: native.kernels,
        description: `cpu + native oneDNN kernels, ${native.threads} thread${native.threads === 1 ? '' : 's'}${precision === 'bf16' ? ', bf16 mixed precision' : ''}`,
        precision,
      };
    }
    if (precision === 'bf16') {
      // bf16 runs only on the native cpu kernels: any other backend is an error, not a silent fp32 run.
      failures.push(
        `precision 'bf16' needs @bigface/native-cpu's kernels (cpu backend, Linux x64, oneDNN) on a CPU with AVX-512 BF16; ${candidate.package} computes in fp32`,
      );
      continue;
    }
    const loaded = await tryImport(candidate.package);
    if (!loaded.ok) {
      if (!loaded.missing) {
        failures.push(`${candidate.package} is installed but failed to load: ${(loaded.error as Error).message}`);
      }
      continue;
    }
    if (candidate.name === 'wasm') registerWasmTrainingKernels();
    if (candidate.name === 'cpu') await disableNative(); // plain cpu: BIGFACE_NATIVE=0 or native unavailable
    const ok = await tf.setBackend(candidate.name);
    if (!ok) {
      failures.push(`${candidate.package} loaded but backend '${candidate.name}' failed to initialise`);
      continue;
    }
    await tf.ready();
    if (candidate.name === 'cpu') {
      // The stock cpu backend prints a banner recommending tfjs-node on first use; BigFace says so in its docs.
      silenceCpuBackendBanner(tf.backend());
    }
    const descriptions: Record<BackendName, string> = {
      tensorflow: `tensorflow (${candidate.package}${candidate.gpu ? ', GPU' : ''})`,
      wasm: 'wasm (1 thread)',
      cpu: `cpu (tfjs's JS kernels, slow: native kernels ${useNative ? 'unavailable' : 'turned off'})`,
    };
    return {
      name: candidate.name,
      package: candidate.package,
      threads: candidate.name === 'tensorflow' ? cpus().length : 1,
      gpu: candidate.gpu,
      addedKernels: candidate.name === 'wasm' ? registerWasmTrainingKernels() : [],
      nativeKernels: [],
      description: descriptions[candidate.name],
      precision: 'fp32',
    };
  }
  if (precision === 'bf16') {
    throw new BigFaceError(
      'PRECISION_UNSUPPORTED',
      `initBackend({precision: 'bf16'}): bf16 mixed precision runs on @bigface/native-cpu's kernels only (the cpu backend on Linux x64 with oneDNN: apt-get install libdnnl-dev, then rebuild it), ` +
        `and they are ${requested === 'auto' || requested === 'cpu' ? 'not available here' : `not backend '${requested}'`}; use precision 'fp32'`,
    );
  }
  const details = failures.length > 0 ? ` (${failures.join('; ')})` : '';
  if (requested === 'auto') {
    throw new BigFaceError('BACKEND_NOT_INSTALLED', `no tensor backend could be loaded${details}: ${installHint(CANDIDATES.slice(2))}`);
  }
  throw new BigFaceError(
    'BACKEND_NOT_INSTALLED',
    `backend '${requested}' is not available${details}: install it with ${installHint(candidates)}` +
      (requested === 'tensorflow' ? ' (its install downloads libtensorflow, so the machine needs internet access; GPU needs CUDA)' : ''),
  );
}
