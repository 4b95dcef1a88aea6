import { defineConfig } from 'tsup';

export default defineConfig({
  // random and errors are also entry points so that tensor-free packages (mask-synth) can use
  // them without loading tfjs: `@bigface/backend/random`, `@bigface/backend/errors`.
  entry: ['src/index.ts', 'src/random.ts', 'src/errors.ts', 'src/rank-worker.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  external: ['@tensorflow/tfjs-core', /^@tensorflow\/tfjs-(backend|node)/, 'sharp', /^@bigface\//],
  // Inline tfjs-core's gradient registrations (see src/register-gradients.ts).
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
