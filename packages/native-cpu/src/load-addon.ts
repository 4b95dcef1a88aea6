import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions of build/Release/bigface_native_cpu.node (native/addon.cc). */
export interface NativeAddon {
  /** y = conv(x) + bias, then PReLU with `alpha` (per output channel or one slope), then + residual: one oneDNN primitive with post-ops. */
  conv2dForward(
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    geometry: number[],
    alpha?: Float32Array | null,
    residual?: Float32Array | null,
    /** The filter array's id (src/weights-id.ts): its reordered copy is kept across calls. 0 or absent: not kept. */
    filterId?: number,
  ): string;
  conv2dBackwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: number[], filterId?: number): string;
  /** tfjs's depthwise convolution (filter [KH, KW, C, M]) as a grouped oneDNN convolution. */
  depthwiseConv2dForward(x: Float32Array, filter: Float32Array, y: Float32Array, geometry: number[], multiplier: number, filterId?: number): string;
  conv2dBackwardWeightsGemm(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: number[]): string;
  conv2dBackwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: number[]): string;
  conv2dForwardIm2col(x: Float32Array, filter: Float32Array, y: Float32Array, geometry: number[]): void;
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, params: number[]): void;
  biasActivation(y: Float32Array, channels: number, bias: Float32Array | null, activation: number, alpha: Float32Array | null, leakyAlpha: number): void;
  binary(op: number, a: Float32Array, aMode: number, b: Float32Array, bMode: number, out: Float32Array, channels: number): void;
  reduce(x: Float32Array, rows: number, cols: number, out: Float32Array, overRows: boolean, mean: boolean): void;
  unary(op: number, x: Float32Array, out: Float32Array, channels: number, alpha: Float32Array | null, alphaMode: number): void;
  greater(a: Float32Array, aMode: number, b: Float32Array, bMode: number, out: Uint8Array, channels: number): void;
  select(condition: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array): void;
  scaleShift(x: Float32Array, scale: Float32Array, shift: Float32Array, out: Float32Array, channels: number): void;
  batchNormTrainingForward(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    channels: number,
    epsilon: number,
  ): void;
  batchNormTrainingBackward(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    gamma: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    channels: number,
    epsilon: number,
  ): void;
  /** [Σw², Σg²] in one pass (double sums). */
  squaredNorms(w: Float32Array, g: Float32Array, out: Float32Array): void;
  /** One LARS step in one pass; params [lr, momentum, weightDecay, eta, epsilon, weightNorm, gradientNorm, excluded]. */
  larsApply(w: Float32Array, g: Float32Array, m: Float32Array, wOut: Float32Array, mOut: Float32Array, params: number[]): void;
  preluBackward(dy: Float32Array, x: Float32Array, alpha: Float32Array, alphaMode: number, dx: Float32Array, dalpha: Float32Array, channels: number): void;
  info(): { threads: number; onednn: string; isa: string; bf16: boolean; bf16Active: boolean };
  /** Forgets this thread's reordered copies of filter array `id` (see src/weights-id.ts). */
  dropWeights(id: number): void;
  /** This thread's cache of reordered filters; sets its cap (bytes, 0 = off) when given. */
  weightsCache(capBytes?: number): { bytes: number; entries: number; capBytes: number };
  setThreads(threads: number): void;
  /** This thread's convolutions and matmuls: fp32, or bf16 operands with fp32 accumulation (throws NATIVE_CPU_NO_BF16 without CPU support). */
  setPrecision(precision: 'fp32' | 'bf16'): void;
}

export type AddonLoad = { addon: NativeAddon; path: string } | { addon: undefined; reason: string };

// Every function this package calls (the compiler checks the list against NativeAddon): an addon
// built from an older version lacks some, and is refused with a reason instead of failing mid-kernel.
const ADDON_FUNCTIONS: Record<keyof NativeAddon, true> = {
  conv2dForward: true,
  conv2dBackwardData: true,
  depthwiseConv2dForward: true,
  conv2dBackwardWeightsGemm: true,
  conv2dBackwardWeights: true,
  conv2dForwardIm2col: true,
  matmul: true,
  biasActivation: true,
  binary: true,
  reduce: true,
  unary: true,
  greater: true,
  select: true,
  scaleShift: true,
  batchNormTrainingForward: true,
  batchNormTrainingBackward: true,
  squaredNorms: true,
  larsApply: true,
  preluBackward: true,
  info: true,
  dropWeights: true,
  weightsCache: true,
  setThreads: true,
  setPrecision: true,
};

let cached: AddonLoad | undefined;

function packageRoot(): string {
  // dist/index.js and src/load-addon.ts both sit one level below the package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

/** Loads the addon once; never throws. `BIGFACE_NATIVE_ADDON` overrides its path. */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  const path = process.env.BIGFACE_NATIVE_ADDON || join(packageRoot(), 'build', 'Release', 'bigface_native_cpu.node');
  if (!existsSync(path)) {
    cached = {
      addon: undefined,
      reason: `${path} was not built (install g++, libdnnl-dev and libopenblas-dev, then \`npm rebuild @bigface/native-cpu\` or \`node scripts/build-addon.mjs\` in the package)`,
    };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as Partial<Record<keyof NativeAddon, unknown>>;
    const missing = Object.keys(ADDON_FUNCTIONS).filter((name) => typeof addon[name as keyof NativeAddon] !== 'function');
    cached =
      missing.length === 0
        ? { addon: addon as NativeAddon, path }
        : {
            addon: undefined,
            reason: `${path} was built from an older @bigface/native-cpu (it has no ${missing.join(', ')}): rebuild it with \`npm rebuild @bigface/native-cpu\` (or \`node scripts/build-addon.mjs\` in the package)`,
          };
  } catch (error) {
    cached = { addon: undefined, reason: `${path} failed to load: ${(error as Error).message}` };
  }
  return cached;
}
