export { PartialFC, type PartialFCOptions, type PartialFCOutput } from './partial-fc';
export { shardRange, type ShardRange } from './shard-range';
export { allGatherRows, type GatheredRows } from './all-gather-rows';
export { distributedCrossEntropy, type CrossEntropyStatistics, type CrossEntropyResult } from './distributed-cross-entropy';
export { distributedMarginCrossEntropy } from './distributed-margin-cross-entropy';
export { shardCosine, type ShardCosineOptions } from './shard-cosine';
export { savePartialFCShard, loadPartialFCShard } from './shard-checkpoint';
