import { packageConfig } from '../../tsup.base';

export default packageConfig({
  // random and errors are also entry points so that tensor-free packages (mask-synth) can use
  // them without loading tfjs: `@bigface/backend/random`, `@bigface/backend/errors`.
  entry: ['src/index.ts', 'src/random.ts', 'src/errors.ts', 'src/rank-worker.ts'],
  external: ['@tensorflow/tfjs-core', /^@tensorflow\/tfjs-(backend|node)/, 'sharp', /^@bigface\//],
  // Inline tfjs-core's gradient registrations (see src/register-gradients.ts).
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
