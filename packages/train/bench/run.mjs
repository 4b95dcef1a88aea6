// Throughput of @bigface/train on a tiny IResNet (widthMultiplier 0.25, layers [1,1,1,1],
// embedding 64, 56×56 input, global batch 32, SynthFaces 16×8, mask ratio 0.35): W = 1 vs W = 2,
// with gradient checkpointing, with micro-batching. One JSON line per case; the first 2 steps
// (wasm warm-up) are not timed; data decoding and masking run on the training thread unless
// `workers` says otherwise. Run: pnpm build && pnpm bench (BENCH_CASES=w1,w2 to pick cases)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { train } from '@bigface/train';

const root = mkdtempSync(path.join(tmpdir(), 'bigface-train-bench-'));
const steps = Number(process.env.BENCH_STEPS ?? 10);
const cases = [
  { case: 'w1', worldSize: 1, checkpointing: 'none', microBatches: 1 },
  { case: 'w2', worldSize: 2, checkpointing: 'none', microBatches: 1 },
  { case: 'w1-checkpointing-block', worldSize: 1, checkpointing: 'block', microBatches: 1 },
  { case: 'w1-micro-batches-4', worldSize: 1, checkpointing: 'none', microBatches: 4 },
  { case: 'w1-data-workers-1', worldSize: 1, checkpointing: 'none', microBatches: 1, workers: 1 },
].filter((spec) => !process.env.BENCH_CASES || process.env.BENCH_CASES.split(',').includes(spec.case));
try {
  for (const spec of cases) {
    const timed = [];
    const started = performance.now();
    await train(
      {
        outputDir: path.join(root, spec.case),
        backend: 'wasm',
        seed: 1,
        data: { source: 'synth', identities: 16, imagesPerIdentity: 8, imageSize: 56, cacheDir: path.join(root, 'cache'), workers: spec.workers ?? 0 },
        model: { layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64, checkpointing: spec.checkpointing },
        batch: { perRank: 32 / spec.worldSize, microBatches: spec.microBatches },
        distributed: { worldSize: spec.worldSize },
        schedule: { steps, epochs: 100, warmupEpochs: 0, milestones: [50] },
        checkpoint: { everySteps: 0 },
        evaluation: { heldOutIdentities: 0 },
      },
      { onEvent: (event) => event.type === 'step' && event.step > 2 && timed.push(event) },
    );
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
