import { packageConfig } from '../../tsup.base';

export default packageConfig({
  // random, errors and communicator are also entry points so that tensor-free packages (mask-synth,
  // mpi) can use them without loading tfjs: `@bigface/backend/random`, `@bigface/backend/errors`,
  // `@bigface/backend/communicator` (the Communicator contract and its argument checks).
  entry: ['src/index.ts', 'src/random.ts', 'src/errors.ts', 'src/communicator.ts', 'src/rank-worker.ts'],
  external: ['@tensorflow/tfjs-core', /^@tensorflow\/tfjs-(backend|node)/, 'sharp', /^@bigface\//],
  // Inline tfjs-core's gradient registrations (see src/register-gradients.ts).
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
