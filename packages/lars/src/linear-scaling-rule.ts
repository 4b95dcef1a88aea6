import { assertNumber } from './learning-rate-schedule';

export interface LinearScalingRuleOptions {
  /** Learning rate tuned for `referenceBatchSize` samples per step. */
  base: number;
  /** Samples per optimizer step over all ranks (batch per rank × ranks × accumulation steps). */
  globalBatchSize: number;
  /** Batch size `base` was tuned for. Default 256. */
  referenceBatchSize?: number;
}

/**
 * The linear scaling rule ([Goyal et al. 2017](https://arxiv.org/abs/1706.02677)):
 * `base · globalBatchSize / referenceBatchSize`. Use it as the `base` of a schedule.
 *
 * @example
 * linearScalingRule({ base: 0.1, globalBatchSize: 8 * 256 }); // 0.8
 */
export function linearScalingRule(options: LinearScalingRuleOptions): number {
  const { base, globalBatchSize, referenceBatchSize = 256 } = options;
  assertNumber('linearScalingRule', 'base', base, 0);
  assertNumber('linearScalingRule', 'globalBatchSize', globalBatchSize, 0, true);
  assertNumber('linearScalingRule', 'referenceBatchSize', referenceBatchSize, 0, true);
  return (base * globalBatchSize) / referenceBatchSize;
}
