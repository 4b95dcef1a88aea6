import { packageConfig } from '../../tsup.base';

// The pipeline's worker entry is built next to the index (the workers load dist/pipeline-worker.js).
export default packageConfig({ entry: ['src/index.ts', 'src/pipeline-worker.ts'] });
