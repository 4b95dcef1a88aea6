import { packageConfig } from '../../tsup.base';

// Two entries: the library (`run`, presets, plan arithmetic) and the `bigface` bin that calls it.
export default packageConfig({ entry: ['src/index.ts', 'src/bin.ts'] });
