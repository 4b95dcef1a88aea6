import { packageConfig } from '../../tsup.base';

// `config` is its own entry so that tools (the CLI's config checks) can validate without loading tfjs.
export default packageConfig({ entry: ['src/index.ts', 'src/config.ts', 'src/rank-entry.ts', 'src/rank-process.ts'] });
