import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { BigFaceError, hashSeed, initBackend, Rng, tf, type Communicator } from '@bigface/backend';
import { DataPipeline } from '@bigface/data';
import { frozenTeacher, TeacherEmbeddingCache } from '@bigface/distill';
import { LARSOptimizer, linearScalingRule, linearWarmup, multiStepSchedule, type LARSOptimizerOptions, type LearningRateSchedule } from '@bigface/lars';
import { arcFace, combinedMargin, cosFace, type MarginFunction } from '@bigface/margin-losses';
import { PartialFC } from '@bigface/partial-fc';
import { IResNet } from '@bigface/resnet-zoo';
import { accumulateGradients, type MicroBatch } from './accumulate-gradients';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-files';
import type { TrainConfig } from './config';
import { buildHeldOutPairs, evaluateHeldOut, type HeldOutPairs } from './held-out-pairs';
import { loadTrainedBackbone } from './load-trained-backbone';
import type { PreparedDataset } from './prepare-dataset';
import { SubsetSampler } from './subset-sampler';
import type { EvaluationResult, TrainEvent, TrainResult } from './train-events';
import { type TrainingOptimizer, ZeroTrainingOptimizer } from './training-optimizer';

/** What every rank receives (plain data: it crosses to worker threads). */
export interface RankArguments {
  config: TrainConfig;
  prepared: PreparedDataset;
  /** Absolute run directory. */
  outputDir: string;
  /** Checkpoint directory to resume from, or null. */
  resumeFrom: string | null;
  /** Ranks of this run on this machine (worker threads or local MPI processes): they share its cores. */
  localRanks: number;
  /** W > 1: name of the BroadcastChannel rank 0 posts events on. */
  eventChannel?: string;
  /** W > 1: Int32Array over it; the main thread stores 1 to stop at the next step. */
  stopFlag?: SharedArrayBuffer;
}

/** In-process extras (W = 1). */
export interface RankHooks {
  onEvent?: (event: TrainEvent) => void;
  signal?: AbortSignal;
}

function marginOf(loss: TrainConfig['loss']): MarginFunction {
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

/** Total optimizer steps of a run. */
export function totalStepsOf(config: TrainConfig, stepsPerEpoch: number): number {
  return config.schedule.steps ?? Math.max(1, Math.ceil(config.schedule.epochs * stepsPerEpoch));
}

/**
 * Native-kernel threads of one rank: the machine's cores shared by its ranks, unless the user set
 * OMP_NUM_THREADS. W ranks × all cores each oversubscribes the CPU (OpenMP teams spin-wait on each other).
 */
export function threadsPerRank(localRanks: number): number | undefined {
  if (process.env.OMP_NUM_THREADS?.trim()) return undefined;
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, localRanks)));
}

function memoryUsage() {
  const memory = tf.memory();
  return { tensors: memory.numTensors, tensorBytes: memory.numBytes, residentBytes: process.memoryUsage().rss };
}

/**
 * The training loop of one rank (all ranks run it in lockstep; rank 0 logs, evaluates and writes
 * replicated state). Resolves with the run's result on rank 0 (other ranks: the same paths, no
 * evaluations).
 */
export async function runRank(communicator: Communicator, args: RankArguments, hooks: RankHooks = {}): Promise<TrainResult> {
  const { config, prepared, outputDir } = args;
  const { rank, worldSize } = communicator;
  const leader = rank === 0;
  const channel = leader && args.eventChannel ? new BroadcastChannel(args.eventChannel) : null;
  const emit = (event: TrainEvent) => {
    if (!leader) return;
    if (hooks.onEvent) hooks.onEvent(event);
    if (channel) channel.postMessage(event);
  };
  const stopFlag = args.stopFlag ? new Int32Array(args.stopFlag) : null;
  const info = await initBackend({ backend: config.backend, threads: threadsPerRank(args.localRanks) });
  const imageSize = config.data.imageSize;
  const metricsPath = path.join(outputDir, 'metrics.jsonl');
  const evaluationsPath = path.join(outputDir, 'evaluations.jsonl');
  const disposables: { dispose(): void }[] = [];
  let pipeline: DataPipeline | null = null;
  let heldOut: HeldOutPairs | null = null;
  try {
    const model = IResNet.create(
      {
        backbone: config.model.layers ? undefined : (config.model.name ?? 'r50'),
        layers: config.model.layers,
        embeddingSize: config.model.embeddingSize,
        widthMultiplier: config.model.widthMultiplier,
        dropout: config.model.dropout,
        inputSize: imageSize,
      },
      { seed: hashSeed(config.seed, 1) },
    );
    disposables.push(model);
    const head = new PartialFC({
      numClasses: prepared.numClasses,
      embeddingSize: config.model.embeddingSize,
      communicator,
      margin: marginOf(config.loss),
      sampleRate: config.loss.sampleRate,
      seed: hashSeed(config.seed, 2),
      name: 'partial_fc',
    });
    disposables.push(head);
    const perRank = config.batch.perRank;
    const globalBatch = perRank * worldSize;
    const sampler = new SubsetSampler(prepared.trainIndices, { batchSize: perRank, seed: config.seed, rank, worldSize });
    const stepsPerEpoch = sampler.stepsPerEpoch;
    if (stepsPerEpoch === 0) {
      throw new BigFaceError(
        'DATA_TOO_SMALL',
        `batch.perRank: ${prepared.trainIndices.length} training images over ${worldSize} rank(s) do not fill one batch of ${perRank}; lower batch.perRank or add data`,
      );
    }
    const totalSteps = totalStepsOf(config, stepsPerEpoch);
    const scaledRate = linearScalingRule({ base: config.optimizer.lr, globalBatchSize: globalBatch, referenceBatchSize: config.optimizer.referenceBatch });
    const schedule = learningRateSchedule(config, stepsPerEpoch, scaledRate);
    const lars = {
      learningRate: scaledRate,
      momentum: config.optimizer.momentum,
      weightDecay: config.optimizer.weightDecay,
      eta: config.optimizer.trustCoefficient,
    };
    const headOptions: Pick<LARSOptimizerOptions, 'reduceSquaredNorms' | 'updateRows'> = {
      // The centres are sharded: LARS's norms must be those of the whole matrix.
      reduceSquaredNorms: worldSize > 1 ? (variable, squared) => (variable === head.weight ? communicator.allReduce(squared, 'sum') : squared) : undefined,
      updateRows: config.loss.sampleRate < 1 ? (variable) => (variable === head.weight ? head.sampledRows : undefined) : undefined,
    };
    const backboneVariables = model.trainableVariables();
    const zero = config.distributed.zero === 1;
    const optimizer: TrainingOptimizer = zero
      ? new ZeroTrainingOptimizer({ backboneVariables, head: head.weight, communicator, lars, headOptions })
      : (new LARSOptimizer({ ...lars, ...headOptions }) as unknown as TrainingOptimizer);
    disposables.push(optimizer);
    const variables = [...backboneVariables, head.weight];
    const stepRng = new Rng(hashSeed(config.seed, 6));

    // Distillation: a frozen live teacher or a cache of its embeddings.
    let teacher: ((batch: MicroBatch) => tf.Tensor2D) | undefined;
    if (config.distill) {
      const { checkpoint, cache } = config.distill.teacher;
      if (checkpoint !== undefined) {
        const network = loadTrainedBackbone(checkpoint);
        disposables.push(network);
        if (network.config.embeddingSize !== config.model.embeddingSize) {
          throw new BigFaceError(
            'DISTILL_EMBEDDING_MISMATCH',
            `distill.teacher.checkpoint: the teacher embeds in ${network.config.embeddingSize} dimensions, the student (model.embeddingSize) in ${config.model.embeddingSize}; use the same size`,
          );
        }
        const size = network.config.inputHeight;
        const run = frozenTeacher((images) => (size === imageSize ? network.forward(images) : network.forward(tf.image.resizeBilinear(images, [size, size]))));
        teacher = (batch) => run(batch.images);
      } else {
        const loaded = TeacherEmbeddingCache.load(path.resolve(cache!), {
          expectedCount: prepared.trainIndices.length,
          expectedEmbeddingSize: config.model.embeddingSize,
          ids: prepared.trainIndices,
        });
        disposables.push({ dispose: () => loaded.close() });
        teacher = (batch) => loaded.lookup(batch.ids);
      }
    }

    let done = 0;
    let position = { epoch: 0, step: 0 };
    if (args.resumeFrom !== null) {
      const state = await loadCheckpoint(args.resumeFrom, { model, head, optimizer, communicator });
      if (state.worldSize !== worldSize) {
        throw new BigFaceError(
          'RESUME_WORLD_SIZE',
          `cannot resume ${args.resumeFrom}: it was written by ${state.worldSize} rank(s), this run has distributed.worldSize ${worldSize}; resume with the same world size`,
        );
      }
      done = state.step;
      position = state.position;
      stepRng.setState(state.rng);
    }
    if (leader) {
      // Metrics past the checkpoint belong to the interrupted attempt: drop them so the log reads as one run.
      for (const file of [metricsPath, evaluationsPath]) {
        if (!existsSync(file)) continue;
        const kept = readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '' && (JSON.parse(line) as { step: number }).step <= done);
        writeFileSync(file, kept.map((line) => `${line}\n`).join(''));
      }
    }
    emit({
      type: 'start',
      config,
      startStep: done,
      totalSteps,
      stepsPerEpoch,
      numClasses: prepared.numClasses,
      trainImages: prepared.trainIndices.length,
      globalBatch,
      scaledLearningRate: scaledRate,
      resumedFrom: args.resumeFrom,
      backend: info.name,
      backendDescription: info.description,
    });

    const evaluation = config.evaluation;
    if (leader && evaluation.heldOutIdentities > 0) {
      heldOut = await buildHeldOutPairs(prepared, { pairs: evaluation.pairs, seed: config.seed, imageSize, protocols: evaluation.protocols });
      if (heldOut === null) emit({ type: 'warning', step: done, message: 'evaluation: the held-out identities cannot form genuine and impostor pairs; evaluation is off' });
    }
    const evaluations: EvaluationResult[] = [];
    const evaluate = (step: number) => {
      if (!leader || heldOut === null) return;
      const result = evaluateHeldOut((images) => model.forward(images), heldOut, { step, epoch: step / stepsPerEpoch, batchSize: evaluation.batchSize });
      evaluations.push(result);
      appendFileSync(evaluationsPath, `${JSON.stringify({ step, epoch: result.epoch, pairs: result.pairs, summaries: result.summaries })}\n`);
      emit({ type: 'evaluation', step, result });
    };

    let lastCheckpoint: string | null = args.resumeFrom;
    let checkpointedStep = args.resumeFrom !== null ? done : -1;
    const checkpoint = async (step: number) => {
      const started = performance.now();
      lastCheckpoint = await saveCheckpoint(
        outputDir,
        { model, head, optimizer, communicator },
        { step, position, rng: stepRng.getState(), partialFCStep: head.currentStep, optimizerIterations: optimizer.iterations, worldSize, config },
        config.checkpoint.keepLast,
      );
      checkpointedStep = step;
      emit({ type: 'checkpoint', step, path: lastCheckpoint, seconds: (performance.now() - started) / 1000 });
    };

    const mask = config.data.mask.ratio > 0 ? { ratio: config.data.mask.ratio, mix: config.data.mask.mix } : false;
    pipeline = new DataPipeline({
      source: prepared.source,
      sampler,
      seed: hashSeed(config.seed, 3),
      workers: config.data.workers,
      flip: config.data.flip,
      mask,
      // The pipeline flips and masks on the 112×112 aligned crop, then resizes to the model input.
      imageSize: [imageSize, imageSize],
    });
    const microBatches = config.batch.microBatches;
    const microSize = perRank / microBatches;
    const unlabeledRatio = config.distill?.unlabeledRatio ?? 0;
    const injectAt = config.testing?.injectNonFiniteAtStep;
    let finalMetrics: TrainResult['finalMetrics'] = null;
    let stopped = false;
    let lastTime = performance.now();

    if (done < totalSteps) {
      for await (const batch of pipeline.batches(position)) {
        const step = done + 1;
        const labels = Int32Array.from(batch.labels);
        if (unlabeledRatio > 0) {
          // Unlabeled images (label −1) get only the distillation term; which ones is fixed per sample.
          for (let i = 0; i < labels.length; i++) if (new Rng(hashSeed(config.seed, 5, batch.indices[i]!)).next() < unlabeledRatio) labels[i] = -1;
        }
        // One small collective per step: the stop request and each micro-batch's labelled rows.
        const local = new Float64Array(1 + microBatches);
        local[0] = (hooks.signal?.aborted ? 1 : 0) || (stopFlag ? Atomics.load(stopFlag, 0) : 0);
        for (let k = 0; k < microBatches; k++) for (let i = k * microSize; i < (k + 1) * microSize; i++) if (labels[i]! >= 0) local[1 + k]! += 1;
        const shared = worldSize > 1 ? communicator.allReduce(local, 'sum') : local;
        if (shared[0]! > 0) {
          stopped = true;
          break;
        }
        const labelledTotal = shared.slice(1).reduce((a, b) => a + b, 0);
        const pixels = batch.height * batch.width * 3;
        const micro: MicroBatch[] = [];
        for (let k = 0; k < microBatches; k++) {
          const from = k * microSize;
          micro.push({
            images: tf.tensor4d(batch.images.subarray(from * pixels, (from + microSize) * pixels), [microSize, batch.height, batch.width, 3]),
            labels: labels.slice(from, from + microSize),
            ids: batch.indices.slice(from, from + microSize),
          });
        }
        let result;
        try {
          result = accumulateGradients({
            model,
            head,
            variables,
            microBatches: micro,
            classificationScales: Array.from({ length: microBatches }, (_, k) => (labelledTotal > 0 ? shared[1 + k]! / labelledTotal : 0)),
            distillationScales: Array.from({ length: microBatches }, () => microSize / globalBatch),
            teacher,
            lambda: config.distill?.lambda ?? 0,
            training: config.testing?.frozenBatchNorm !== true,
            checkpointing: config.model.checkpointing,
            dropoutSeeds: Array.from({ length: microBatches }, () => stepRng.int(0x7fffffff)),
            poison: injectAt === step,
          });
        } finally {
          tf.dispose(micro.map((m) => m.images));
        }
        const { gradients } = result;
        try {
          // Non-finite guard before anything changes: the loss, and every gradient (one squared norm).
          const squared = tf.tidy(() => tf.addN(gradients.map((g) => tf.sum(tf.square(g)))).dataSync()[0]!);
          const check = new Float64Array([Number.isFinite(squared) && Number.isFinite(result.classificationLoss) ? 0 : 1, result.distillationContribution]);
          const reduced = worldSize > 1 ? communicator.allReduce(check, 'sum') : check;
          const loss = result.classificationLoss + reduced[1]!;
          if (reduced[0]! > 0 || !Number.isFinite(loss)) {
            throw new BigFaceError(
              'NON_FINITE_LOSS',
              `step ${step}: ${Number.isFinite(loss) ? `a gradient is NaN/Inf (loss ${loss})` : `the loss is ${loss}`}; training stopped before updating the weights. ` +
                `The last good checkpoint is ${lastCheckpoint ?? 'none (no checkpoint was written yet)'}; lower optimizer.lr, check the data, or resume from it`,
            );
          }
          let applied = gradients;
          // With ZeRO the optimizer reduce-scatters the backbone's contributions itself.
          if (worldSize > 1 && !zero) {
            // Sum the backbone's per-rank contributions: the gradient of the global batch's loss (the mean over its images).
            const backbone = gradients.slice(0, backboneVariables.length);
            const sizes = backbone.map((g) => g.size);
            const flat = new Float32Array(sizes.reduce((a, b) => a + b, 0));
            let offset = 0;
            for (const g of backbone) {
              flat.set(g.dataSync() as Float32Array, offset);
              offset += g.size;
            }
            const summed = communicator.allReduce(flat, 'sum');
            offset = 0;
            applied = backbone.map((g, i) => {
              const t = tf.tensor(summed.subarray(offset, offset + sizes[i]!), g.shape, 'float32');
              offset += sizes[i]!;
              return t;
            });
            applied.push(gradients[gradients.length - 1]!);
          }
          const lr = schedule(step - 1);
          optimizer.setLearningRate(lr);
          optimizer.applyGradients(variables.map((variable, i) => ({ name: variable.name, tensor: applied[i]! })));
          if (applied !== gradients) tf.dispose(applied.slice(0, backboneVariables.length));
          done = step;
          position = sampler.next({ epoch: batch.epoch, step: batch.step });
          const now = performance.now();
          const stepSeconds = (now - lastTime) / 1000;
          lastTime = now;
          finalMetrics = { loss, accuracy: result.accuracy, lr };
          if (leader && (step % config.log.everySteps === 0 || step === totalSteps)) {
            const event = {
              type: 'step' as const,
              step,
              totalSteps,
              epoch: step / stepsPerEpoch,
              loss,
              classificationLoss: result.classificationLoss,
              distillationLoss: config.distill ? reduced[1]! : null,
              accuracy: result.accuracy,
              lr,
              imagesPerSecond: globalBatch / stepSeconds,
              stepSeconds,
              memory: memoryUsage(),
            };
            const { type: _type, ...line } = event;
            appendFileSync(metricsPath, `${JSON.stringify(line)}\n`);
            emit(event);
          }
        } finally {
          tf.dispose(gradients);
        }
        if (config.checkpoint.everySteps > 0 && done % config.checkpoint.everySteps === 0 && done < totalSteps) await checkpoint(done);
        if (evaluation.everySteps > 0 && done % evaluation.everySteps === 0 && done < totalSteps) evaluate(done);
        if (done >= totalSteps) break;
      }
    }
    if (checkpointedStep !== done || lastCheckpoint === null) await checkpoint(done);
    if (!stopped) evaluate(done);
    return {
      outputDir,
      finalCheckpoint: lastCheckpoint!,
      backbonePath: path.join(lastCheckpoint!, 'backbone.safetensors'),
      metricsPath,
      evaluationsPath,
      steps: done,
      completed: !stopped,
      evaluations,
      finalMetrics,
      backend: info.description,
    };
  } finally {
    if (pipeline) await pipeline.close();
    if (heldOut) tf.dispose(Object.values(heldOut.images));
    for (const item of disposables.reverse()) item.dispose();
    if (channel) {
      channel.postMessage({ type: '__done' });
      channel.close();
    }
  }
}
