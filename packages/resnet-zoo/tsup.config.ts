import { packageConfig } from '../../tsup.base';

// `registry` is its own entry so that tensor-free code (the training config) can list the zoo without loading tfjs.
export default packageConfig({ entry: ['src/index.ts', 'src/backbone-registry.ts'] });
