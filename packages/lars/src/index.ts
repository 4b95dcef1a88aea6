export {
  LARSOptimizer,
  excludeRankAtMostOne,
  type LARSExcludePredicate,
  type LARSOptimizerOptions,
  type NamedTensor,
} from './lars-optimizer';
export type { LearningRateSchedule } from './learning-rate-schedule';
export { linearWarmup, type LinearWarmupOptions } from './linear-warmup';
export { multiStepSchedule, type MultiStepScheduleOptions } from './multi-step-schedule';
export { polynomialSchedule, type PolynomialScheduleOptions } from './polynomial-schedule';
export { cosineSchedule, type CosineScheduleOptions } from './cosine-schedule';
export { linearScalingRule, type LinearScalingRuleOptions } from './linear-scaling-rule';
export {
  ZeroLARSOptimizer,
  zeroShardLayout,
  type ZeroLARSOptimizerOptions,
  type ZeroShardLayout,
  type ZeroVariableSlot,
} from './zero-lars-optimizer';
