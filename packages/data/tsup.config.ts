import { packageConfig } from '../../tsup.base';

// The worker entries are built next to the index (workers load dist/pipeline-worker.js, dist/face-align-worker.js).
export default packageConfig({ entry: ['src/index.ts', 'src/pipeline-worker.ts', 'src/face-align-worker.ts'] });
