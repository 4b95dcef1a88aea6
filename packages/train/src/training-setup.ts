import path from 'node:path';
import { BigFaceError, hashSeed, tf, type Communicator } from '@bigface/backend';
import { frozenTeacher, TeacherEmbeddingCache } from '@bigface/distill';
import { linearScalingRule, linearWarmup, multiStepSchedule, type LearningRateSchedule } from '@bigface/lars';
import { arcFace, combinedMargin, cosFace, type TargetMargin } from '@bigface/margin-losses';
import { PartialFC } from '@bigface/partial-fc';
import { IResNet } from '@bigface/resnet-zoo';
import type { CheckpointState } from './checkpoint-files';
import type { TrainConfig } from './config';
import { loadTrainedBackbone } from './load-trained-backbone';
import type { PreparedDataset } from './prepare-dataset';
import { SubsetSampler } from './subset-sampler';
import type { SamplerPosition } from '@bigface/data';
import type { TrainerOptions } from './trainer';
import { createTrainingOptimizer, type TrainingOptimizer } from './training-optimizer';

function marginOf(loss: TrainConfig['loss']): TargetMargin {
  if (loss.margin === 'cosface') return cosFace({ s: loss.s, m: loss.m });
  if (loss.margin === 'arcface') return arcFace({ s: loss.s, m: loss.m });
  const [m1, m2, m3] = loss.margins ?? [1, 0, loss.m];
  return combinedMargin({ s: loss.s, m1, m2, m3 });
}

/** The learning rate of 0-based step `step`: linear warm-up, then multi-step decay; milestones in epochs. */
export function learningRateSchedule(config: TrainConfig, stepsPerEpoch: number, scaledRate: number): LearningRateSchedule {
  const milestones = [...new Set(config.schedule.milestones.map((epoch) => Math.max(1, Math.round(epoch * stepsPerEpoch))))].sort((a, b) => a - b);
  const decay = multiStepSchedule({ base: scaledRate, milestones, gamma: config.schedule.gamma });
  const warmupSteps = Math.round(config.schedule.warmupEpochs * stepsPerEpoch);
  return warmupSteps > 0 ? linearWarmup(decay, { warmupSteps }) : decay;
}

/** How a resumed run differs from the run that wrote its checkpoint (null when nothing that matters changed). */
export interface ResumeChange {
  fromWorldSize: number;
  fromGlobalBatch: number;
  worldSize: number;
  globalBatch: number;
  /** The resumed epoch and how many of its images were already used (of `epochImages`). */
  epoch: number;
  consumed: number;
  epochImages: number;
}

/** The sizes and rates of a run on `worldSize` ranks. */
export interface RunPlan {
  sampler: SubsetSampler;
  stepsPerEpoch: number;
  /** The optimizer step at which the run ends (the step counter goes on across resumes). */
  totalSteps: number;
  globalBatch: number;
  /** lr × globalBatch / referenceBatch. */
  scaledRate: number;
  /** The learning rate of the 0-based optimizer step (warm-up and milestones in epochs). */
  schedule: LearningRateSchedule;
  /** Fractional epoch reached after `step` optimizer steps. */
  epochOf: (step: number) => number;
  /** Where this run starts: the step counter and the sampler position. */
  start: { step: number; position: SamplerPosition };
  /** Set when the run resumes a checkpoint written with another global batch or world size. */
  resumeChange: ResumeChange | null;
}

/** What {@link planRun} needs of the checkpoint a run resumes from. */
export type ResumePoint = Pick<CheckpointState, 'step' | 'position' | 'worldSize' | 'globalBatch' | 'config'>;

/**
 * This rank's sampler and the run's step counts and learning-rate schedule. A run resumed at
 * another world size or batch per rank continues its epoch from the same sample of the same
 * permutation (the sampler's global position), and its schedule from the same point in epochs: the
 * optimizer-step counter goes on, while the learning rate, the end and the reported epoch follow the
 * new steps per epoch (and the linear scaling rule the new global batch).
 */
export function planRun(config: TrainConfig, prepared: PreparedDataset, communicator: Communicator, resumed: ResumePoint | null = null): RunPlan {
  const { rank, worldSize } = communicator;
  const perRank = config.batch.perRank;
  const sampler = new SubsetSampler(prepared.trainIndices, { batchSize: perRank, seed: config.seed, rank, worldSize });
  const stepsPerEpoch = sampler.stepsPerEpoch;
  if (stepsPerEpoch === 0) {
    throw new BigFaceError(
      'DATA_TOO_SMALL',
      `batch.perRank: ${prepared.trainIndices.length} training images over ${worldSize} rank(s) do not fill one batch of ${perRank}; lower batch.perRank or add data`,
    );
  }
  const globalBatch = perRank * worldSize;
  const scaledRate = linearScalingRule({ base: config.optimizer.lr, globalBatchSize: globalBatch, referenceBatchSize: config.optimizer.referenceBatch });
  let start = { step: 0, position: { epoch: 0, step: 0 } as SamplerPosition };
  let resumeChange: ResumeChange | null = null;
  // Steps at this global batch that the run's progress (epochs and images) amounts to, minus the counter.
  let shift = 0;
  if (resumed !== null) {
    const savedGlobalBatch = resumed.globalBatch ?? resumed.config.batch.perRank * resumed.worldSize;
    const consumed = (resumed.position.offset ?? 0) + resumed.position.step * savedGlobalBatch;
    const position = sampler.positionAfter(resumed.position.epoch, consumed);
    start = { step: resumed.step, position };
    shift = Math.round(position.epoch * stepsPerEpoch + sampler.consumed(position) / globalBatch) - resumed.step;
    if (savedGlobalBatch !== globalBatch || resumed.worldSize !== worldSize) {
      resumeChange = {
        fromWorldSize: resumed.worldSize,
        fromGlobalBatch: savedGlobalBatch,
        worldSize,
        globalBatch,
        epoch: resumed.position.epoch,
        consumed,
        epochImages: prepared.trainIndices.length,
      };
    }
  }
  const schedule = learningRateSchedule(config, stepsPerEpoch, scaledRate);
  const epochSteps = Math.max(1, Math.ceil(config.schedule.epochs * stepsPerEpoch));
  return {
    sampler,
    stepsPerEpoch,
    totalSteps: config.schedule.steps ?? epochSteps - shift,
    globalBatch,
    scaledRate,
    schedule: shift === 0 ? schedule : (step) => schedule(Math.max(0, step + shift)),
    epochOf: (step) => (step + shift) / stepsPerEpoch,
    start,
    resumeChange,
  };
}

/** The model, head and optimizer of a configuration (the caller disposes them). */
export interface TrainingParts {
  backbone: IResNet;
  head: PartialFC;
  optimizer: TrainingOptimizer;
}

/** Builds the IResNet, the PartialFC head and LARS over their parameter groups, seeded by `config.seed`. */
export function buildTrainingParts(config: TrainConfig, numClasses: number, communicator: Communicator): TrainingParts {
  const backbone = IResNet.create(
    {
      backbone: config.model.layers ? undefined : (config.model.name ?? 'r50'),
      layers: config.model.layers,
      embeddingSize: config.model.embeddingSize,
      widthMultiplier: config.model.widthMultiplier,
      dropout: config.model.dropout,
      inputSize: config.data.imageSize,
    },
    { seed: hashSeed(config.seed, 1) },
  );
  const head = new PartialFC({
    numClasses,
    embeddingSize: config.model.embeddingSize,
    communicator,
    margin: marginOf(config.loss),
    sampleRate: config.loss.sampleRate,
    seed: hashSeed(config.seed, 2),
    name: 'partial_fc',
  });
  const optimizer = createTrainingOptimizer({
    groups: [backbone.parameterGroup(), head.parameterGroup()],
    communicator,
    lars: { momentum: config.optimizer.momentum, weightDecay: config.optimizer.weightDecay, eta: config.optimizer.trustCoefficient },
    zero: config.distributed.zero,
    // Mixed precision "including communication of the grad." (the deck): bf16 on the wire, fp32 sums.
    gradientExchange: config.precision,
  });
  return { backbone, head, optimizer };
}

/**
 * The distillation of a configuration: a frozen live teacher network, or a cache of its embeddings
 * looked up by dataset index; undefined without `distill`. `resources` collects what to dispose.
 */
export function buildDistillation(config: TrainConfig, prepared: PreparedDataset, resources: { dispose(): void }[]): TrainerOptions['distillation'] {
  if (!config.distill) return undefined;
  const { checkpoint, cache } = config.distill.teacher;
  const lambda = config.distill.lambda;
  if (checkpoint !== undefined) {
    const network = loadTrainedBackbone(checkpoint);
    resources.push(network);
    if (network.config.embeddingSize !== config.model.embeddingSize) {
      throw new BigFaceError(
        'DISTILL_EMBEDDING_MISMATCH',
        `distill.teacher.checkpoint: the teacher embeds in ${network.config.embeddingSize} dimensions, the student (model.embeddingSize) in ${config.model.embeddingSize}; use the same size`,
      );
    }
    const size = network.config.inputHeight;
    const imageSize = config.data.imageSize;
    const run = frozenTeacher((images) => (size === imageSize ? network.forward(images) : network.forward(tf.image.resizeBilinear(images, [size, size]))));
    return { lambda, teacher: (batch) => run(batch.images) };
  }
  const loaded = TeacherEmbeddingCache.load(path.resolve(cache!), {
    expectedCount: prepared.trainIndices.length,
    expectedEmbeddingSize: config.model.embeddingSize,
    ids: prepared.trainIndices,
  });
  resources.push({ dispose: () => loaded.close() });
  return { lambda, teacher: (batch) => loaded.lookup(batch.ids!) };
}
