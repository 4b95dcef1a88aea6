// RecordIO -> decoded, flipped, (masked), normalised NHWC batches through the worker pipeline:
// one JSON line per case. Not a test. The data is SynthFaces, generated first (not timed).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataPipeline, DistributedSampler, RecordDataset, generateSynthFaces } from '@bigface/data';

const images = Number(process.env.BENCH_IMAGES ?? 1200);
const batchSize = Number(process.env.BENCH_BATCH ?? 64);
const directory = mkdtempSync(path.join(os.tmpdir(), 'bigface-data-bench-'));
const recordPath = path.join(directory, 'train.rec');
const cores = os.availableParallelism?.() ?? os.cpus().length;

try {
  await generateSynthFaces({ identities: Math.max(1, Math.round(images / 12)), imagesPerIdentity: 12, seed: 1, recordPath });
  const dataset = RecordDataset.open(recordPath);
  const size = dataset.length;
  dataset.close();
  for (const [name, mask, workers] of [
    ['recordio-to-batches', false, 2],
    ['recordio-to-batches-masked', { ratio: 0.35 }, 2],
    ['recordio-to-batches-masked', { ratio: 0.35 }, 1],
  ]) {
    const sampler = new DistributedSampler({ size, batchSize, seed: 1 });
    const pipeline = new DataPipeline({ source: { format: 'recordio', recordPath }, sampler, seed: 1, mask, workers });
    let count = 0;
    let warm = false;
    let started = performance.now();
    for await (const batch of pipeline.batches({ epoch: 0, step: 0 }, 2)) {
      if (!warm) {
        // The first batch pays for worker start-up: time from the second on.
        warm = true;
        started = performance.now();
        continue;
      }
      count += batch.size;
    }
    const seconds = (performance.now() - started) / 1000;
    await pipeline.close();
    console.log(
      JSON.stringify({
        bench: name,
        workers,
        batchSize,
        maskRatio: mask ? mask.ratio : 0,
        images: count,
        seconds: round(seconds),
        imagesPerSecond: round(count / seconds),
        cores,
      }),
    );
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}

function round(value) {
  return Math.round(value * 100) / 100;
}
