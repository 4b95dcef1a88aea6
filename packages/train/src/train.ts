import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { BigFaceError, type Communicator, SingleCommunicator, writeFileAtomic } from '@bigface/backend';
import { latestCheckpoint, readCheckpointState } from './checkpoint-files';
import { resolveTrainConfig, type TrainConfigInput } from './config';
import { resumeIncompatibilities } from './resume-changes';
import { prepareDataset, type PreparedDataset } from './prepare-dataset';
import { launchProcessRanks, resolveLauncher } from './launch-process-ranks';
import { launchThreadRanks } from './launch-thread-ranks';
import { inProcessLink } from './rank-events';
import { runRank, type RankArguments } from './run-rank';
import type { TrainOptions, TrainResult } from './train-events';

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
  // Before any work: refuses worker-thread ranks on a backend that cannot share a process.
  const launcher = mpi === null ? resolveLauncher(config) : 'processes';
  const leader = mpi === null || mpi.rank === 0;
  const outputDir = path.resolve(config.outputDir);
  if (leader) mkdirSync(outputDir, { recursive: true });
  mpi?.barrier();
  const resume = options.resume ?? 'auto';
  const latest = latestCheckpoint(outputDir);
  if (resume === true && latest === null) {
    throw new BigFaceError(
      'RESUME_NOT_FOUND',
      `train: resume was requested but ${outputDir} has no checkpoint (checkpoints/latest.json); start without resume`,
    );
  }
  if (resume === false && latest !== null) {
    throw new BigFaceError(
      'RUN_EXISTS',
      `train: ${outputDir} already holds checkpoints (latest ${latest}); resume it (resume: 'auto') or choose another outputDir`,
    );
  }
  const resumeFrom = resume === false ? null : latest;
  if (resumeFrom !== null) {
    const changed = resumeIncompatibilities(readCheckpointState(resumeFrom).config, config);
    if (changed.length > 0) {
      throw new BigFaceError(
        'RESUME_CONFIG_CHANGED',
        `train: cannot resume ${resumeFrom}: ${changed.length === 1 ? 'a setting that a checkpoint cannot carry over changed' : `${changed.length} settings that a checkpoint cannot carry over changed`}:\n  ${changed.join('\n  ')}\n` +
          'The world size, launcher, batch per rank, micro-batches, ZeRO stage, backend, schedule.steps, logging, checkpoint and evaluation settings may change on resume; use another outputDir for a new run',
      );
    }
  }
  let prepared: PreparedDataset | undefined;
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
    const launch = launcher === 'processes' ? launchProcessRanks : launchThreadRanks;
    try {
      result = await launch(args, { worldSize: config.distributed.worldSize, onEvent, signal: options.signal });
    } catch (error) {
      // A rank's own typed error (NON_FINITE_LOSS, DATA_NOT_FOUND, ...) is the run's error, named by its rank.
      const { code, cause, rank } = error as { code?: string; cause?: unknown; rank?: number };
      if (code === 'RANK_FAILED' && cause instanceof Error && (cause as { code?: string }).code !== undefined) {
        throw new BigFaceError((cause as BigFaceError).code, `rank ${rank ?? '?'} of ${config.distributed.worldSize}: ${cause.message}`, { cause: error });
      }
      throw error;
    }
  }
  onEvent({ type: 'end', step: result.steps, seconds: (performance.now() - started) / 1000, result });
  return result;
}
