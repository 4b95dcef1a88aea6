import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { BigFaceError, hashSeed, initBackend, Rng, type BackendInfo, type Communicator } from '@bigface/backend';
import { batchToTensors, DataPipeline, type Batch } from '@bigface/data';
import { checkpointer, type Checkpointer } from './checkpointer';
import { loadCheckpoint, readCheckpointState } from './checkpoint-files';
import type { TrainConfig } from './config';
import { heldOutEvaluator, type HeldOutEvaluator } from './held-out-evaluator';
import { buildHeldOutPairs, type HeldOutPairs } from './held-out-pairs';
import { metricsLogger } from './metrics-logger';
import type { PreparedDataset } from './prepare-dataset';
import type { RankLink, ThreadLinkArguments } from './rank-events';
import { createTrainer, type Trainer, type TrainerStepInput, type TrainerStepResult } from './trainer';
import type { TrainResult } from './train-events';
import { buildDistillation, buildTrainingParts, planRun, type RunPlan } from './training-setup';

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
  /** Worker-thread ranks: how to reach the controller (see rank-events). */
  link?: ThreadLinkArguments;
}

/**
 * Native-kernel threads of one rank: the machine's cores shared by its ranks, unless the user set
 * OMP_NUM_THREADS. W ranks × all cores each oversubscribes the CPU (OpenMP teams spin-wait on each other).
 */
export function threadsPerRank(localRanks: number): number | undefined {
  if (process.env.OMP_NUM_THREADS?.trim()) return undefined;
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, localRanks)));
}

/** Metrics past the resumed checkpoint belong to the interrupted attempt: drop them so the log reads as one run. */
function truncateLogs(files: string[], step: number): void {
  for (const file of files) {
    if (!existsSync(file)) continue;
    const kept = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && (JSON.parse(line) as { step: number }).step <= step);
    writeFileSync(file, kept.map((line) => `${line}\n`).join(''));
  }
}

/** Test-only fault injection (`testing.failRank`): this rank fails as step `step` begins. */
function failIfInjected(config: TrainConfig, rank: number, step: number): void {
  const fail = config.testing?.failRank;
  if (fail === undefined || fail.rank !== rank || fail.step !== step) return;
  // In a worker thread this ends the thread; in a rank process, the process (without a word).
  if (fail.how === 'exit') process.exit(3);
  throw new BigFaceError('INJECTED_FAILURE', `testing.failRank: rank ${rank} fails at step ${step} (injected)`);
}

/** The trainer's input for a batch: its tensors, labels (a seeded `unlabeledRatio` of them −1) and dataset indices. */
function stepInput(batch: Batch, config: TrainConfig, step: number): TrainerStepInput {
  const labels = Int32Array.from(batch.labels);
  const unlabeledRatio = config.distill?.unlabeledRatio ?? 0;
  if (unlabeledRatio > 0) {
    // Unlabeled images (label −1) get only the distillation term; which ones is fixed per sample.
    for (let i = 0; i < labels.length; i++) if (new Rng(hashSeed(config.seed, 5, batch.indices[i]!)).next() < unlabeledRatio) labels[i] = -1;
  }
  const { images, labels: labelTensor } = batchToTensors(batch);
  labelTensor.dispose();
  return { images, labels, ids: batch.indices, poison: config.testing?.injectNonFiniteAtStep === step };
}

/** A rank's trainer with its callbacks, the run's plan and where its data sampler starts. */
interface RankSession {
  trainer: Trainer;
  plan: RunPlan;
  saver: Checkpointer;
  evaluator: HeldOutEvaluator;
  /** The sampler's position: where the data continues after the last step (what a checkpoint saves). */
  cursor: { position: { epoch: number; step: number } };
  metricsPath: string;
  evaluationsPath: string;
}

/** Builds the trainer of `args.config` (model, head, optimizer, distillation, callbacks) and resumes it; emits `start`. */
async function openSession(
  communicator: Communicator,
  args: RankArguments,
  link: RankLink,
  info: BackendInfo,
  resources: { dispose(): void }[],
): Promise<RankSession> {
  const { config, prepared, outputDir } = args;
  const leader = communicator.rank === 0;
  const resumedState = args.resumeFrom === null ? null : readCheckpointState(args.resumeFrom);
  if (resumedState?.numClasses !== undefined && resumedState.numClasses !== prepared.numClasses) {
    throw new BigFaceError(
      'RESUME_CLASSES_CHANGED',
      `cannot resume ${args.resumeFrom}: its PartialFC head has ${resumedState.numClasses} classes, the data now has ${prepared.numClasses}; a run continues on the same identities (use another outputDir for a new run)`,
    );
  }
  const plan = planRun(config, prepared, communicator, resumedState);
  const parts = buildTrainingParts(config, prepared.numClasses, communicator);
  resources.push(parts.backbone, parts.head, parts.optimizer);
  const distillation = buildDistillation(config, prepared, resources);
  const metricsPath = path.join(outputDir, 'metrics.jsonl');
  const evaluationsPath = path.join(outputDir, 'evaluations.jsonl');
  const emit = link.emit;
  const resumed = args.resumeFrom === null ? null : await loadCheckpoint(args.resumeFrom, { ...parts, communicator });
  const startStep = plan.start.step;
  if (leader) truncateLogs([metricsPath, evaluationsPath], startStep);
  emit({
    type: 'start',
    config,
    startStep,
    totalSteps: plan.totalSteps,
    stepsPerEpoch: plan.stepsPerEpoch,
    numClasses: prepared.numClasses,
    trainImages: prepared.trainIndices.length,
    globalBatch: plan.globalBatch,
    scaledLearningRate: plan.scaledRate,
    resumedFrom: args.resumeFrom,
    resumeChange: plan.resumeChange,
    backend: info.name,
    backendDescription: info.description,
  });
  const evaluation = config.evaluation;
  let heldOut: HeldOutPairs | null = null;
  if (leader && evaluation.heldOutIdentities > 0) {
    heldOut = await buildHeldOutPairs(prepared, {
      pairs: evaluation.pairs,
      seed: config.seed,
      imageSize: config.data.imageSize,
      protocols: evaluation.protocols,
    });
    if (heldOut === null)
      emit({ type: 'warning', step: startStep, message: 'evaluation: the held-out identities cannot form genuine and impostor pairs; evaluation is off' });
    else
      resources.push({
        dispose: () =>
          Object.values(heldOut!.images).forEach((images) => {
            images.dispose();
          }),
      });
  }
  const cursor = { position: plan.start.position };
  const saver = checkpointer({
    outputDir,
    everySteps: config.checkpoint.everySteps,
    keepLast: config.checkpoint.keepLast,
    totalSteps: plan.totalSteps,
    config,
    position: () => cursor.position,
    emit,
    resumedFrom: args.resumeFrom,
    resumedStep: startStep,
  });
  const evaluator = heldOutEvaluator({
    heldOut,
    everySteps: evaluation.everySteps,
    batchSize: evaluation.batchSize,
    epochOf: plan.epochOf,
    totalSteps: plan.totalSteps,
    evaluationsPath,
    emit,
  });
  const trainer = createTrainer({
    ...parts,
    communicator,
    learningRate: plan.schedule,
    distillation,
    microBatches: config.batch.microBatches,
    checkpointing: config.model.checkpointing,
    batchNorm: config.testing?.frozenBatchNorm === true ? 'frozen' : 'train',
    seed: hashSeed(config.seed, 6),
    callbacks: [
      metricsLogger({ metricsPath, everySteps: config.log.everySteps, totalSteps: plan.totalSteps, epochOf: plan.epochOf, leader, emit }),
      saver,
      evaluator,
    ],
    recoveryHint: () =>
      `The last good checkpoint is ${saver.last ?? 'none (no checkpoint was written yet)'}; lower optimizer.lr, check the data, or resume from it`,
  });
  trainer.stepsDone = startStep;
  if (resumed) trainer.setRngState(resumed.rng);
  return { trainer, plan, saver, evaluator, cursor, metricsPath, evaluationsPath };
}

/**
 * One rank of a training run (every rank runs it in lockstep; rank 0 logs, evaluates and writes the
 * replicated state): builds the trainer from the configuration, resumes, then feeds it the data
 * sampler's batches until the last step or an agreed stop. Resolves with the run's result (other
 * ranks: the same paths, no evaluations).
 */
export async function runRank(communicator: Communicator, args: RankArguments, link: RankLink): Promise<TrainResult> {
  const { config, prepared, outputDir } = args;
  const resources: { dispose(): void }[] = [];
  let pipeline: DataPipeline | null = null;
  try {
    const info = await initBackend({ backend: config.backend, threads: threadsPerRank(args.localRanks), precision: config.precision });
    const session = await openSession(communicator, args, link, info, resources);
    const { trainer, plan } = session;
    const mask = config.data.mask.ratio > 0 ? { ratio: config.data.mask.ratio, mix: config.data.mask.mix } : false;
    // The pipeline flips and masks the 112×112 aligned crop, then resizes it to the model input.
    const imageSize: [number, number] = [config.data.imageSize, config.data.imageSize];
    pipeline = new DataPipeline({
      source: prepared.source,
      sampler: plan.sampler,
      seed: hashSeed(config.seed, 3),
      workers: config.data.workers,
      flip: config.data.flip,
      mask,
      imageSize,
    });
    let stopped = false;
    let last: TrainerStepResult | null = null;
    if (trainer.stepsDone < plan.totalSteps) {
      for await (const batch of pipeline.batches(session.cursor.position)) {
        // The ranks agree on a stop request (any rank's) before acting on it.
        const stop = Float64Array.of(link.stopRequested() ? 1 : 0);
        if ((communicator.worldSize > 1 ? communicator.allReduce(stop, 'sum') : stop)[0]! > 0) {
          stopped = true;
          break;
        }
        failIfInjected(config, communicator.rank, trainer.stepsDone + 1);
        const input = stepInput(batch, config, trainer.stepsDone + 1);
        // A checkpoint written at the end of this step resumes after this batch.
        session.cursor.position = plan.sampler.next({ epoch: batch.epoch, step: batch.step, offset: batch.offset });
        try {
          last = await trainer.step(input);
        } finally {
          input.images.dispose();
        }
        if (config.testing?.logSamples) {
          appendFileSync(
            path.join(outputDir, `samples.rank-${communicator.rank}.jsonl`),
            `${JSON.stringify({ step: last.step, epoch: batch.epoch, ids: Array.from(batch.indices) })}\n`,
          );
        }
        if (trainer.stepsDone >= plan.totalSteps) break;
      }
    }
    await trainer.end({ stopped });
    const finalCheckpoint = session.saver.last!;
    return {
      outputDir,
      finalCheckpoint,
      backbonePath: path.join(finalCheckpoint, 'backbone.safetensors'),
      metricsPath: session.metricsPath,
      evaluationsPath: session.evaluationsPath,
      steps: trainer.stepsDone,
      completed: !stopped,
      evaluations: [...session.evaluator.evaluations],
      finalMetrics: last === null ? null : { loss: last.loss, accuracy: last.accuracy, lr: last.learningRate },
      backend: info.description,
    };
  } finally {
    if (pipeline) await pipeline.close();
    for (const resource of resources.reverse()) resource.dispose();
    link.close();
  }
}
