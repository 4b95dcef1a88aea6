export { trainConfigSchema, resolveTrainConfig, type TrainConfig, type TrainConfigInput } from './config';
export { train } from './train';
export type { TrainEvent, TrainResult, TrainOptions, EvaluationResult, EvaluationSummary, MemoryUsage } from './train-events';
export {
  createTrainer,
  type Trainer,
  type TrainerOptions,
  type TrainerStepInput,
  type TrainerStepResult,
  type TrainerCallback,
  type StateTensor,
} from './trainer';
export { createTrainingOptimizer, ZeroTrainingOptimizer, type TrainingOptimizer, type TrainingOptimizerOptions } from './training-optimizer';
export { metricsLogger } from './metrics-logger';
export { checkpointer, type Checkpointer } from './checkpointer';
export { heldOutEvaluator, type HeldOutEvaluator } from './held-out-evaluator';
export { planRun, buildTrainingParts, learningRateSchedule, type RunPlan, type TrainingParts, type ResumeChange, type ResumePoint } from './training-setup';
export type { RankMessage, ControlMessage, RankLink } from './rank-events';
export { loadTrainedBackbone, resolveBackbonePath } from './load-trained-backbone';
export { prepareDataset, type PreparedDataset } from './prepare-dataset';
export { SubsetSampler } from './subset-sampler';
export { accumulateGradients, type AccumulateGradientsOptions, type AccumulatedGradients, type MicroBatch } from './accumulate-gradients';
export {
  latestCheckpoint,
  readCheckpointState,
  checkpointDirectory,
  saveCheckpoint,
  loadCheckpoint,
  type CheckpointState,
  type CheckpointParts,
} from './checkpoint-files';
export { resumeIncompatibilities } from './resume-changes';
export { buildHeldOutPairs, evaluateHeldOut, type HeldOutPairs } from './held-out-pairs';
export { buildTeacherCache, type BuildTeacherCacheOptions } from './build-teacher-cache';
export { planActivations, type ActivationPlan } from './plan-activations';
export { planMemory, memoryBreakdown, parseByteSize, type PlanMemoryOptions, type MemoryPlan, type MemoryBreakdown, type MemorySwitches } from './plan-memory';
