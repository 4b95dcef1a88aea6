import { defineConfig, type Options } from 'tsup';

/**
 * The one build of every @bigface package: ESM + CJS + d.ts for Node 20, tfjs / sharp / onnxruntime
 * / sibling packages left external (one tfjs-core per install). A package's tsup.config.ts is
 * `export default packageConfig()`, with overrides where it needs more entries.
 */
export function packageConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    shims: true,
    target: 'node20',
    external: [/^@tensorflow\//, 'sharp', /^@bigface\//, 'onnxruntime-node'],
    ...overrides,
  });
}
