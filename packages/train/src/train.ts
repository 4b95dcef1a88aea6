import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BigFaceError, type Communicator, launchRanks, SingleCommunicator, writeFileAtomic } from '@bigface/backend';
import { latestCheckpoint, readCheckpointState } from './checkpoint-files';
import { resolveTrainConfig, type TrainConfigInput } from './config';
import { prepareDataset } from './prepare-dataset';
import { inProcessLink, ThreadController } from './rank-events';
import { runRank, type RankArguments } from './run-rank';
import type { TrainEvent, TrainOptions, TrainResult } from './train-events';

/** This process's rank of an MPI job, through the optional @bigface/mpi. */
async function mpiCommunicator(): Promise<Communicator> {
  let module: { MpiCommunicator: { create(): Communicator } };
  try {
    module = (await import('@bigface/mpi')) as unknown as typeof module;
  } catch (cause) {
    throw new BigFaceError(
      'MPI_NOT_INSTALLED',
      `distributed.communicator 'mpi' needs the optional package @bigface/mpi (${(cause as Error).message}); install it (npm install @bigface/mpi, with OpenMPI: apt-get install openmpi-bin libopenmpi-dev) and start the run with mpirun -np W`,
      { cause },
    );
  }
  return module.MpiCommunicator.create();
}

function rankModule(): URL {
  for (const candidate of ['./rank-entry.js', '../dist/rank-entry.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new BigFaceError('TRAIN_NOT_BUILT', `train: the rank entry rank-entry.js is neither next to ${import.meta.url} nor in ../dist; build @bigface/train (pnpm build)`);
}

/**
 * Trains a face-recognition backbone from a configuration (see {@link resolveTrainConfig}): data
 * (SynthFaces, RecordIO or an image folder; flip and mask augmentation) → IResNet → PartialFC with
 * a CosFace/ArcFace margin (+ angular distillation from a teacher) → gradient sum over ranks →
 * LARS with linear scaling, warm-up and multi-step decay. `distributed.worldSize` > 1 runs the ranks
 * as worker threads; `distributed.communicator: 'mpi'` makes this process one rank of an MPI job
 * (`mpirun -np W node script.mjs`; outputDir on a filesystem every rank sees). Writes `config.json`, `metrics.jsonl`, `evaluations.jsonl` and atomic
 * checkpoints under `outputDir`; resumes exactly (bit for bit) from the latest checkpoint.
 *
 * @example
 * import { train } from '@bigface/train';
 * const result = await train({
 *   outputDir: 'runs/tiny', backend: 'wasm',
 *   data: { source: 'synth', identities: 16, imagesPerIdentity: 8, imageSize: 56 },
 *   model: { layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64 },
 *   batch: { perRank: 32 }, schedule: { epochs: 2, warmupEpochs: 0.5, milestones: [1.5] },
 *   evaluation: { heldOutIdentities: 8, pairs: 100 },
 * }, { onEvent: (event) => event.type === 'step' && console.log(event.step, event.loss) });
 * console.log(result.finalCheckpoint, result.evaluations.at(-1)?.summaries);
 */
export async function train(input: TrainConfigInput, options: TrainOptions = {}): Promise<TrainResult> {
  const started = performance.now();
  let config = resolveTrainConfig(input);
  // MPI: this process is one rank of `mpirun -np W`; rank 0 prepares the run, the others follow.
  const mpi = config.distributed.communicator === 'mpi' ? await mpiCommunicator() : null;
  if (mpi !== null) {
    if (config.distributed.worldSize !== 1 && config.distributed.worldSize !== mpi.worldSize) {
      throw new BigFaceError(
        'MPI_WORLD_SIZE_MISMATCH',
        `distributed.worldSize is ${config.distributed.worldSize} but MPI started ${mpi.worldSize} processes; leave distributed.worldSize at 1 (MPI decides) or start mpirun -np ${config.distributed.worldSize}`,
      );
    }
    config = { ...config, distributed: { ...config.distributed, worldSize: mpi.worldSize } };
  }
  const leader = mpi === null || mpi.rank === 0;
  const outputDir = path.resolve(config.outputDir);
  if (leader) mkdirSync(outputDir, { recursive: true });
  mpi?.barrier();
  const resume = options.resume ?? 'auto';
  const latest = latestCheckpoint(outputDir);
  if (resume === true && latest === null) {
    throw new BigFaceError('RESUME_NOT_FOUND', `train: resume was requested but ${outputDir} has no checkpoint (checkpoints/latest.json); start without resume`);
  }
  if (resume === false && latest !== null) {
    throw new BigFaceError('RUN_EXISTS', `train: ${outputDir} already holds checkpoints (latest ${latest}); resume it (resume: 'auto') or choose another outputDir`);
  }
  const resumeFrom = resume === false ? null : latest;
  if (resumeFrom !== null) {
    const saved = readCheckpointState(resumeFrom).config;
    const { outputDir: _a, testing: _b, schedule: savedSchedule, ...savedRest } = saved;
    const { outputDir: _c, testing: _d, schedule: schedule, ...rest } = config;
    if (JSON.stringify(savedRest) !== JSON.stringify(rest) || JSON.stringify({ ...savedSchedule, steps: 0 }) !== JSON.stringify({ ...schedule, steps: 0 })) {
      throw new BigFaceError(
        'RESUME_CONFIG_CHANGED',
        `train: the configuration differs from the one saved in ${resumeFrom}/state.json (only outputDir, schedule.steps and testing may change on resume); use another outputDir for a new run`,
      );
    }
  }
  let prepared;
  if (leader) {
    writeFileAtomic(path.join(outputDir, 'config.json'), new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
    prepared = await prepareDataset(config);
  }
  if (mpi !== null) {
    mpi.barrier(); // rank 0 has generated (or found) the data; the others read it
    prepared ??= await prepareDataset(config);
  }
  // Ranks on this machine share its cores: worker threads, or the MPI processes mpirun put here.
  const localRanks = mpi !== null ? Number(process.env.OMPI_COMM_WORLD_LOCAL_SIZE ?? process.env.MPI_LOCALNRANKS ?? 1) || 1 : config.distributed.worldSize;
  const args: RankArguments = { config, prepared: prepared!, outputDir, resumeFrom, localRanks };
  const onEvent = leader ? (options.onEvent ?? (() => {})) : () => {};
  let result: TrainResult;
  if (mpi !== null || config.distributed.worldSize === 1) {
    result = await runRank(mpi ?? new SingleCommunicator(), args, inProcessLink({ onEvent, signal: options.signal, leader }));
  } else {
    const controller = new ThreadController(`bigface-train-${process.pid}-${randomBytes(6).toString('hex')}`, onEvent);
    const onAbort = () => controller.stop();
    options.signal?.addEventListener('abort', onAbort);
    if (options.signal?.aborted) onAbort();
    try {
      const results = await launchRanks<TrainResult, RankArguments>({
        worldSize: config.distributed.worldSize,
        module: rankModule(),
        args: { ...args, link: controller.args },
      });
      result = results[0]!;
      // Rank 0 posted 'done' before it returned: wait until every event before it has arrived.
      await controller.allDelivered();
    } catch (error) {
      const cause = (error as { code?: string; cause?: unknown }).cause;
      if ((error as { code?: string }).code === 'RANK_FAILED' && cause instanceof Error && (cause as { code?: string }).code !== undefined) {
        throw new BigFaceError((cause as BigFaceError).code, cause.message, { cause: error });
      }
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      controller.close();
    }
  }
  onEvent({ type: 'end', step: result.steps, seconds: (performance.now() - started) / 1000, result });
  return result;
}
