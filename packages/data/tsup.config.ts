import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/pipeline-worker.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  external: [/^@tensorflow\//, 'sharp', /^@bigface\//, 'onnxruntime-node'],
});
