// Throughput of @bigface/train on a tiny IResNet (widthMultiplier 0.25, layers [1,1,1,1],
// embedding 64, 56×56 input, global batch 32, SynthFaces 16×8, mask ratio 0.35): W = 1 vs W = 2
// worker threads, ZeRO-1, W = 1 vs W = 2 MPI processes, with gradient checkpointing, with micro-batching. One JSON line per case; the first 2 steps
// (wasm warm-up) are not timed; data decoding and masking run on the training thread unless
// `workers` says otherwise. Run: pnpm build && pnpm bench (BENCH_CASES=w1,w2 to pick cases)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { train } from '@bigface/train';

/** Runs `config` under `mpirun -np W` and returns rank 0's timed step events. */
function trainUnderMpi(config, worldSize) {
  const rankScript = fileURLToPath(new URL('./mpi-rank.mjs', import.meta.url));
  const run = spawnSync('mpirun', ['--allow-run-as-root', '--oversubscribe', '-np', String(worldSize), process.execPath, rankScript, JSON.stringify(config)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`mpirun failed (${run.status}): ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout.trim().split('\n').filter((line) => line.startsWith('[')).at(-1));
}

const root = mkdtempSync(path.join(tmpdir(), 'bigface-train-bench-'));
const steps = Number(process.env.BENCH_STEPS ?? 10);
const cases = [
  { case: 'w1', worldSize: 1, checkpointing: 'none', microBatches: 1 },
  { case: 'w2', worldSize: 2, checkpointing: 'none', microBatches: 1 },
  { case: 'w1-checkpointing-block', worldSize: 1, checkpointing: 'block', microBatches: 1 },
  { case: 'w1-micro-batches-4', worldSize: 1, checkpointing: 'none', microBatches: 4 },
  { case: 'w1-data-workers-1', worldSize: 1, checkpointing: 'none', microBatches: 1, workers: 1 },
  { case: 'w2-zero1', worldSize: 2, checkpointing: 'none', microBatches: 1, zero: 1 },
  // One process per rank under mpirun (needs @bigface/mpi's addon and OpenMPI).
  { case: 'mpi-w1', worldSize: 1, checkpointing: 'none', microBatches: 1, mpi: true },
  { case: 'mpi-w2', worldSize: 2, checkpointing: 'none', microBatches: 1, mpi: true },
].filter((spec) => !process.env.BENCH_CASES || process.env.BENCH_CASES.split(',').includes(spec.case));
try {
  for (const spec of cases) {
    const timed = [];
    const started = performance.now();
    const config =
      {
        outputDir: path.join(root, spec.case),
        backend: 'wasm',
        seed: 1,
        data: { source: 'synth', identities: 16, imagesPerIdentity: 8, imageSize: 56, cacheDir: path.join(root, 'cache'), workers: spec.workers ?? 0 },
        model: { layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64, checkpointing: spec.checkpointing },
        batch: { perRank: 32 / spec.worldSize, microBatches: spec.microBatches },
        distributed: spec.mpi ? { communicator: 'mpi' } : { worldSize: spec.worldSize, zero: spec.zero ?? 0 },
        schedule: { steps, epochs: 100, warmupEpochs: 0, milestones: [50] },
        checkpoint: { everySteps: 0 },
        evaluation: { heldOutIdentities: 0 },
      };
    if (spec.mpi) timed.push(...trainUnderMpi(config, spec.worldSize));
    else await train(config, { onEvent: (event) => event.type === 'step' && event.step > 2 && timed.push(event) });
    const seconds = timed.reduce((sum, event) => sum + event.stepSeconds, 0);
    console.log(
      JSON.stringify({
        package: '@bigface/train',
        case: spec.case,
        imagesPerSecond: Number(((32 * timed.length) / seconds).toFixed(2)),
        stepSeconds: Number((seconds / timed.length).toFixed(3)),
        timedSteps: timed.length,
        globalBatch: 32,
        imageSize: 56,
        tensorBytesAfterStep: timed.at(-1).memory.tensorBytes,
        wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
        loadAverage: Number(loadavg()[0].toFixed(2)),
      }),
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
