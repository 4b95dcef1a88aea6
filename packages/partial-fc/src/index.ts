export { PartialFC, type PartialFCOptions, type PartialFCOutput } from './partial-fc';
export { shardRange, type ShardRange } from './shard-range';
export { allGatherRows, type GatheredRows } from './all-gather-rows';
export { distributedCrossEntropy, type CrossEntropyStatistics } from './distributed-cross-entropy';
export { savePartialFCShard, loadPartialFCShard } from './shard-checkpoint';
