import { BigFaceError, Rng, assertArgument, tf, type Communicator, type RngState } from '@bigface/backend';
import type { LearningRateSchedule } from '@bigface/lars';
import type { PartialFC } from '@bigface/partial-fc';
import type { IResNet } from '@bigface/resnet-zoo';
import { accumulateGradients, type AccumulatedGradients, type MicroBatch } from './accumulate-gradients';
import type { TrainingOptimizer } from './training-optimizer';

/** Inputs of one {@link Trainer.step}: this rank's part of the global batch. */
export interface TrainerStepInput {
  /** NHWC images normalised as `(x / 255 − 0.5) / 0.5`, `[batch, height, width, 3]` (the caller disposes them). */
  images: tf.Tensor4D;
  /** Class of each image; −1 marks an unlabeled image (it gets the distillation term only). */
  labels: Int32Array | readonly number[];
  /** Teacher embeddings `[batch, D]` to distil from (instead of `distillation.teacher`). */
  teacherEmbeddings?: tf.Tensor2D;
  /** Dataset indices of the images (for a teacher that looks embeddings up by id). */
  ids?: Int32Array;
  /** This step's learning rate; default `learningRate` of the trainer (a number or a schedule of the 0-based step). */
  learningRate?: number;
  /** @internal Test-only fault injection: multiply the loss by NaN. */
  poison?: boolean;
}

/** What one {@link Trainer.step} did (the same numbers on every rank). */
export interface TrainerStepResult {
  /** 1-based: optimizer steps done after this one. */
  step: number;
  /** `classificationLoss + distillationLoss`: the global batch's loss. */
  loss: number;
  /** Mean margin cross-entropy over the global batch's labelled rows. */
  classificationLoss: number;
  /** λ × the global batch's mean angular distillation loss; null without distillation. */
  distillationLoss: number | null;
  /** Top-1 accuracy of the margin-free logits over labelled rows. */
  accuracy: number;
  learningRate: number;
  /** Rows of the global batch (all ranks), and how many of them are labelled. */
  rows: number;
  labelledRows: number;
}

/** Called after every step on every rank (collective work is allowed: every rank calls it). */
export interface TrainerCallback {
  onStep?(result: TrainerStepResult, trainer: Trainer): void | Promise<void>;
  /** When the loop ends (`stopped`: interrupted before its last step). */
  onEnd?(summary: { steps: number; stopped: boolean }, trainer: Trainer): void | Promise<void>;
}

/** Options of {@link createTrainer}. */
export interface TrainerOptions {
  /** The network: an IResNet (replicated on every rank, data parallel). */
  backbone: IResNet;
  /** The classifier: PartialFC (class centres sharded across the ranks of its communicator). */
  head: PartialFC;
  /** LARS over the backbone's and the head's parameter groups ({@link createTrainingOptimizer}). */
  optimizer: TrainingOptimizer;
  /** Default: the head's communicator. */
  communicator?: Communicator;
  /** A fixed rate, or a schedule of the 0-based step (e.g. `linearWarmup(multiStepSchedule(...))`); a step may override it. */
  learningRate?: number | LearningRateSchedule;
  /**
   * BigFace-Distill: `loss = CE + λ·mean ||s/|s| − t/|t|||²`. The teacher embeddings come with each
   * step (`teacherEmbeddings`) or from `teacher` (a frozen network or an embedding cache).
   */
  distillation?: { lambda: number; teacher?: (batch: { images: tf.Tensor4D; ids?: Int32Array }) => tf.Tensor2D };
  /** Split each step's batch into this many micro-batches whose gradients accumulate (default 1). */
  microBatches?: number;
  /** Gradient checkpointing of the backbone (default 'none'). */
  checkpointing?: 'none' | 'stage' | 'block';
  /** 'train' (default): batch statistics, running averages updated; 'frozen': running statistics (eval-mode BN). */
  batchNorm?: 'train' | 'frozen';
  /** Seed of the per-step dropout seeds (default 0). */
  seed?: number;
  /** Logging, checkpoints, evaluation: called in order after every step. */
  callbacks?: readonly TrainerCallback[];
  /** Appended to a NON_FINITE_LOSS error, e.g. where the last good checkpoint is. */
  recoveryHint?: () => string;
}

/** A training state tensor in PyTorch's layout (see {@link Trainer.state}). */
export interface StateTensor {
  shape: readonly number[];
  data: Float32Array;
}

/**
 * One training step of the BigFace recipe, the way arcface_torch's loop composes it: backbone →
 * PartialFC margin softmax (+ λ · angular distillation) → backward → the optimizer, which sums the
 * backbone's gradients over the ranks and updates the sharded centres. Make one with {@link createTrainer}.
 */
export interface Trainer {
  readonly backbone: IResNet;
  readonly head: PartialFC;
  readonly optimizer: TrainingOptimizer;
  readonly communicator: Communicator;
  /** Optimizer steps done (the next step's 0-based index). */
  stepsDone: number;
  /**
   * One optimizer step on this rank's part of the global batch (collective: every rank calls it at
   * the same step), then the callbacks. Throws NON_FINITE_LOSS, before any weight changes, when the
   * loss or a gradient is NaN/Inf on any rank.
   */
  step(input: TrainerStepInput): Promise<TrainerStepResult>;
  /** Runs the callbacks' `onEnd`. */
  end(summary: { stopped: boolean }): Promise<void>;
  /**
   * The whole training state in PyTorch's names and layouts, gathered from every rank (collective):
   * the backbone's state_dict (running statistics included), `head.weight` [C, D], and for each
   * trainable parameter `momentum/<name>` (LARS momentum; zero before the first step).
   */
  state(): Promise<Map<string, StateTensor>>;
  /**
   * Loads a state of {@link Trainer.state}'s format (collective). The backbone and `head.weight` must
   * be present (each rank keeps its rows of the head); the momenta are all present or all absent
   * (absent: every momentum starts at zero, as a fresh optimizer). Anything else is an error.
   */
  loadState(state: ReadonlyMap<string, StateTensor>): Promise<void>;
  /** The dropout-seed generator's state (for exact resume). */
  rngState(): RngState;
  setRngState(state: RngState): void;
}

const HEAD = 'head.weight';
const MOMENTUM = 'momentum/';

/**
 * Makes a {@link Trainer}: the step a hand-written loop calls.
 *
 * @example
 * const communicator = new SingleCommunicator();
 * const backbone = IResNet.create('r50', { seed: 1 });
 * const head = new PartialFC({ numClasses, embeddingSize: 512, communicator, margin: cosFace({ s: 64, m: 0.4 }) });
 * const optimizer = createTrainingOptimizer({ groups: [backbone.parameterGroup(), head.parameterGroup()], communicator, lars: { weightDecay: 5e-4 } });
 * const trainer = createTrainer({ backbone, head, optimizer, learningRate: 0.01 });
 * const { loss } = await trainer.step({ images, labels });
 */
export function createTrainer(options: TrainerOptions): Trainer {
  const { backbone, head, optimizer } = options;
  assertArgument(
    backbone !== undefined && head !== undefined && optimizer !== undefined,
    'INVALID_ARGUMENT',
    () => 'createTrainer: pass { backbone, head, optimizer } (an IResNet, a PartialFC and createTrainingOptimizer(...))',
  );
  const communicator = options.communicator ?? head.communicator;
  const microBatches = options.microBatches ?? 1;
  assertArgument(
    Number.isInteger(microBatches) && microBatches >= 1,
    'INVALID_ARGUMENT',
    () => `createTrainer: microBatches must be a positive integer, got ${String(microBatches)}`,
  );
  const variables = optimizer.groups.flatMap((group) => group.variables);
  const rng = new Rng(options.seed ?? 0);
  const callbacks = options.callbacks ?? [];
  const distillation = options.distillation;
  const learningRateAt = (step: number): number => {
    const rate = options.learningRate;
    if (typeof rate === 'function') return rate(step);
    if (typeof rate === 'number') return rate;
    throw new BigFaceError('INVALID_ARGUMENT', 'Trainer.step: no learning rate: pass createTrainer({ learningRate }) or step({ learningRate })');
  };
  const backboneNames = new Map([...backbone.variables].map(([name, variable]) => [variable.name, name]));
  const stateName = (variable: tf.Variable) => (variable === head.weight ? HEAD : backboneNames.get(variable.name));

  const trainer: Trainer = {
    backbone,
    head,
    optimizer,
    communicator,
    stepsDone: 0,

    async step(input) {
      const { images } = input;
      const labels = Int32Array.from(input.labels);
      const rows = images.shape[0];
      assertArgument(labels.length === rows, 'INVALID_ARGUMENT', () => `Trainer.step: ${labels.length} labels for ${rows} images`);
      assertArgument(
        rows % microBatches === 0,
        'INVALID_ARGUMENT',
        () => `Trainer.step: a batch of ${rows} does not split into ${microBatches} equal micro-batches`,
      );
      const distilling = distillation !== undefined;
      assertArgument(
        !distilling || input.teacherEmbeddings !== undefined || distillation.teacher !== undefined,
        'INVALID_ARGUMENT',
        () => 'Trainer.step: distillation needs teacherEmbeddings in the step or a teacher in createTrainer({ distillation })',
      );
      const step = trainer.stepsDone + 1;
      const microSize = rows / microBatches;
      // One small collective: this rank's rows and each micro-batch's labelled rows, summed over ranks.
      const local = new Float64Array(1 + microBatches);
      local[0] = rows;
      for (let k = 0; k < microBatches; k++) for (let i = k * microSize; i < (k + 1) * microSize; i++) if (labels[i]! >= 0) local[1 + k]! += 1;
      const shared = communicator.worldSize > 1 ? communicator.allReduce(local, 'sum') : local;
      const globalRows = shared[0]!;
      const labelledRows = shared.slice(1).reduce((a, b) => a + b, 0);

      const micro: MicroBatch[] = [];
      const owned: tf.Tensor[] = [];
      for (let k = 0; k < microBatches; k++) {
        const from = k * microSize;
        const part = microBatches === 1 ? images : tf.slice(images, [from, 0, 0, 0], [microSize, -1, -1, -1]);
        if (part !== images) owned.push(part);
        micro.push({ images: part, labels: labels.slice(from, from + microSize), ids: input.ids?.slice(from, from + microSize) ?? new Int32Array(microSize) });
      }
      const teacher = !distilling
        ? undefined
        : input.teacherEmbeddings !== undefined
          ? (batch: MicroBatch) => tf.slice(input.teacherEmbeddings!, [micro.indexOf(batch) * microSize, 0], [microSize, -1]) as tf.Tensor2D
          : (batch: MicroBatch) => distillation.teacher!({ images: batch.images, ids: input.ids === undefined ? undefined : batch.ids });
      let result: AccumulatedGradients;
      try {
        result = accumulateGradients({
          model: backbone,
          head,
          variables,
          microBatches: micro,
          classificationScales: micro.map((_, k) => (labelledRows > 0 ? shared[1 + k]! / labelledRows : 0)),
          distillationScales: micro.map(() => microSize / globalRows),
          teacher,
          lambda: distillation?.lambda ?? 0,
          training: options.batchNorm !== 'frozen',
          checkpointing: options.checkpointing ?? 'none',
          dropoutSeeds: micro.map(() => rng.int(0x7fffffff)),
          poison: input.poison === true,
        });
      } finally {
        tf.dispose(owned);
      }
      const { gradients } = result;
      let learningRate: number;
      let distillationLoss: number;
      try {
        // Non-finite guard before anything changes: the loss, and every gradient (one squared norm).
        const squared = tf.tidy(() => tf.addN(gradients.map((g) => tf.sum(tf.square(g)))).dataSync()[0]!);
        const check = new Float64Array([Number.isFinite(squared) && Number.isFinite(result.classificationLoss) ? 0 : 1, result.distillationContribution]);
        const reduced = communicator.worldSize > 1 ? communicator.allReduce(check, 'sum') : check;
        distillationLoss = reduced[1]!;
        const loss = result.classificationLoss + distillationLoss;
        if (reduced[0]! > 0 || !Number.isFinite(loss)) {
          const hint = options.recoveryHint?.();
          throw new BigFaceError(
            'NON_FINITE_LOSS',
            `step ${step}: ${Number.isFinite(loss) ? `a gradient is NaN/Inf (loss ${loss})` : `the loss is ${loss}`}; training stopped before updating the weights.${hint ? ` ${hint}` : ''}`,
          );
        }
        learningRate = input.learningRate ?? learningRateAt(step - 1);
        optimizer.step(gradients, learningRate);
      } finally {
        tf.dispose(gradients);
      }
      trainer.stepsDone = step;
      const stepResult: TrainerStepResult = {
        step,
        loss: result.classificationLoss + distillationLoss,
        classificationLoss: result.classificationLoss,
        distillationLoss: distilling ? distillationLoss : null,
        accuracy: result.accuracy,
        learningRate,
        rows: globalRows,
        labelledRows,
      };
      for (const callback of callbacks) await callback.onStep?.(stepResult, trainer);
      return stepResult;
    },

    async end(summary) {
      for (const callback of callbacks) await callback.onEnd?.({ steps: trainer.stepsDone, stopped: summary.stopped }, trainer);
    },

    async state() {
      const out = new Map<string, StateTensor>();
      for (const [name, tensor] of backbone.toStateDict()) out.set(name, { shape: tensor.shape, data: tensor.data });
      const gatherRows = (tensor: tf.Tensor): Float32Array =>
        Float32Array.from(communicator.allGatherV(tensor.dataSync() as Float32Array).data as Float32Array);
      out.set(HEAD, { shape: [head.numClasses, head.embeddingSize], data: gatherRows(head.weight) });
      const [iterations, ...momenta] = await optimizer.getWeights();
      const byName = new Map(momenta.map((entry) => [entry.name, entry.tensor]));
      try {
        for (const variable of variables) {
          const name = stateName(variable)!;
          const value = byName.get(`${variable.name}/momentum`) ?? tf.zerosLike(variable);
          if (!byName.has(`${variable.name}/momentum`)) momenta.push({ name: '', tensor: value });
          out.set(
            `${MOMENTUM}${name}`,
            name === HEAD ? { shape: [head.numClasses, head.embeddingSize], data: gatherRows(value) } : backbone.toTorchLayout(name, value),
          );
        }
      } finally {
        tf.dispose([iterations!.tensor, ...momenta.map((entry) => entry.tensor)]);
      }
      return out;
    },

    async loadState(state) {
      const known = new Set<string>([...backbone.variables.keys(), HEAD, ...variables.map((variable) => `${MOMENTUM}${stateName(variable)}`)]);
      const unknown = [...state.keys()].filter((name) => !known.has(name) && !name.endsWith('num_batches_tracked'));
      if (unknown.length > 0) {
        throw new BigFaceError(
          'STATE_MISMATCH',
          `Trainer.loadState: unknown tensor(s) ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}; expected the backbone's state_dict names, ${HEAD} and ${MOMENTUM}<name>`,
        );
      }
      const momentumNames = variables.map((variable) => `${MOMENTUM}${stateName(variable)}`);
      const present = momentumNames.filter((name) => state.has(name));
      if (present.length > 0 && present.length < momentumNames.length) {
        const missing = momentumNames.filter((name) => !state.has(name));
        throw new BigFaceError(
          'STATE_MISMATCH',
          `Trainer.loadState: momentum missing for ${missing.length} parameter(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''} (give every momentum or none)`,
        );
      }
      const headWeight = state.get(HEAD);
      if (headWeight === undefined) throw new BigFaceError('STATE_MISMATCH', `Trainer.loadState: '${HEAD}' is missing`);
      const shardOf = (tensor: StateTensor, name: string): tf.Tensor2D => {
        assertArgument(
          tensor.shape.length === 2 && tensor.shape[0] === head.numClasses && tensor.shape[1] === head.embeddingSize,
          'STATE_MISMATCH',
          () => `Trainer.loadState: '${name}' has shape [${tensor.shape.join(', ')}], the head is [${head.numClasses}, ${head.embeddingSize}]`,
        );
        const { start, count } = head.shard;
        return tf.tensor2d(tensor.data.subarray(start * head.embeddingSize, (start + count) * head.embeddingSize), [count, head.embeddingSize]);
      };
      backbone.loadStateDict(new Map([...state].filter(([name]) => backbone.variables.has(name))));
      const shard = shardOf(headWeight, HEAD);
      head.weight.assign(shard);
      shard.dispose();
      const weights: { name: string; tensor: tf.Tensor }[] = [{ name: 'iter', tensor: tf.scalar(optimizer.iterations, 'int32') }];
      for (const variable of variables) {
        const name = stateName(variable)!;
        const saved = state.get(`${MOMENTUM}${name}`);
        const tensor =
          saved === undefined ? tf.zerosLike(variable) : name === HEAD ? shardOf(saved, `${MOMENTUM}${name}`) : backbone.fromTorchLayout(name, saved);
        weights.push({ name: `${variable.name}/momentum`, tensor });
      }
      try {
        await optimizer.setWeights(weights);
      } finally {
        tf.dispose(weights.map((entry) => entry.tensor));
      }
    },

    rngState: () => rng.getState(),
    setRngState: (state) => rng.setState(state),
  };
  return trainer;
}
