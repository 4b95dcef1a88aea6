// Throughput of @bigface/train on a tiny IResNet (widthMultiplier 0.25, layers [1,1,1,1],
// embedding 64, 56×56 input, global batch 32, SynthFaces 16×8, mask ratio 0.35) on each backend:
// W = 1, W = 2 worker threads, W = 2 processes (distributed.launcher 'processes': mpirun started by
// train), ZeRO-1, gradient checkpointing, micro-batching, a data worker. One JSON line per case; the
// first 2 steps (warm-up) are not timed; data decoding and masking run on the training thread unless
// `workers` says otherwise. Memory: peak resident set of rank 0's process over the logged steps (for
// worker-thread ranks that process holds every rank) and peak tfjs tensor bytes of rank 0.
// Run: pnpm build && pnpm bench (BENCH_CASES=w1,w2-threads to pick cases, BENCH_BACKENDS=cpu,wasm,
// BENCH_STEPS=10).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { countParameters } from '@bigface/resnet-zoo';
import { train } from '@bigface/train';

// The bench model's trainable backbone parameters (features.weight is frozen): the all-reduce payload.
const BACKBONE_PARAMETERS = countParameters({ layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64, inputSize: 56 }) - 64;

const root = mkdtempSync(path.join(tmpdir(), 'bigface-train-bench-'));
const steps = Number(process.env.BENCH_STEPS ?? 10);
const mpirun = spawnSync('mpirun', ['--version']).status === 0;
const backends = (process.env.BENCH_BACKENDS ?? 'cpu,wasm').split(',');
const cases = [
  { case: 'w1', worldSize: 1 },
  { case: 'w2-threads', worldSize: 2, launcher: 'threads' },
  { case: 'w2-processes', worldSize: 2, launcher: 'processes', needs: 'mpirun' },
  { case: 'w2-threads-zero1', worldSize: 2, launcher: 'threads', zero: 1 },
  // bf16 mixed precision: bf16 convolutions and the backbone's gradients exchanged as bfloat16.
  { case: 'w1-bf16', worldSize: 1, precision: 'bf16' },
  { case: 'w2-threads-bf16', worldSize: 2, launcher: 'threads', precision: 'bf16' },
  { case: 'w2-processes-bf16', worldSize: 2, launcher: 'processes', precision: 'bf16', needs: 'mpirun' },
  { case: 'w1-checkpointing-block', worldSize: 1, checkpointing: 'block' },
  { case: 'w1-micro-batches-4', worldSize: 1, microBatches: 4 },
  { case: 'w1-data-workers-1', worldSize: 1, workers: 1 },
].filter((spec) => !process.env.BENCH_CASES || process.env.BENCH_CASES.split(',').includes(spec.case));

try {
  for (const backend of backends) {
    for (const spec of cases) {
      if (spec.precision === 'bf16' && backend !== 'cpu') continue; // bf16 runs on the native kernels only
      if (spec.needs === 'mpirun' && !mpirun) {
        console.log(
          JSON.stringify({ package: '@bigface/train', case: spec.case, backend, skipped: 'mpirun not found (apt-get install openmpi-bin libopenmpi-dev)' }),
        );
        continue;
      }
      const timed = [];
      let description = '';
      const started = performance.now();
      await train(
        {
          outputDir: path.join(root, `${backend}-${spec.case}`),
          backend,
          precision: spec.precision ?? 'fp32',
          seed: 1,
          data: { source: 'synth', identities: 16, imagesPerIdentity: 8, imageSize: 56, cacheDir: path.join(root, 'cache'), workers: spec.workers ?? 0 },
          model: { layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64, checkpointing: spec.checkpointing ?? 'none' },
          batch: { perRank: 32 / spec.worldSize, microBatches: spec.microBatches ?? 1 },
          distributed: { worldSize: spec.worldSize, launcher: spec.launcher ?? 'auto', zero: spec.zero ?? 0 },
          schedule: { steps, epochs: 100, warmupEpochs: 0, milestones: [50] },
          checkpoint: { everySteps: 0 },
          evaluation: { heldOutIdentities: 0 },
        },
        {
          onEvent: (event) => {
            if (event.type === 'start') description = event.backendDescription;
            if (event.type === 'step' && event.step > 2) timed.push(event);
          },
        },
      );
      const seconds = timed.reduce((sum, event) => sum + event.stepSeconds, 0);
      console.log(
        JSON.stringify({
          package: '@bigface/train',
          case: spec.case,
          backend: description,
          imagesPerSecond: Number(((32 * timed.length) / seconds).toFixed(2)),
          stepSeconds: Number((seconds / timed.length).toFixed(3)),
          timedSteps: timed.length,
          globalBatch: 32,
          imageSize: 56,
          peakResidentBytesRank0Process: Math.max(...timed.map((event) => event.memory.residentBytes)),
          peakTensorBytesRank0: Math.max(...timed.map((event) => event.memory.tensorBytes)),
          // What each rank puts into the backbone's gradient all-reduce per step (0 at W = 1).
          gradientBytesPerStep: spec.worldSize > 1 ? BACKBONE_PARAMETERS * (spec.precision === 'bf16' ? 2 : 4) : 0,
          wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
          loadAverage: Number(loadavg()[0].toFixed(2)),
          cores: cpus().length,
        }),
      );
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
