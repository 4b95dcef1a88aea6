// Throughput of the two synthesizers on aligned 112x112 crops, one JSON line per case:
//   raw:  raw pixels in → raw pixels out (what the data loader uses), one thread;
//   jpeg: JPEG in → decode (sharp) → mask (JS) → encode JPEG (sharp) out, `inFlight` requests per thread;
// each on 1 thread and on `threads` worker threads. Usage: pnpm build && pnpm bench [seconds] [threads]
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { alignedJpegs } from './inputs.mjs';

const seconds = Number(process.argv[2] ?? 3);
const threads = Number(process.argv[3] ?? os.availableParallelism());
const jpegs = await alignedJpegs();

async function run(synthesizer, mode, workers, inFlight) {
  const start = performance.now();
  const counts = await Promise.all(
    Array.from({ length: workers }, (_, workerIndex) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { jpegs, synthesizer, mode, seconds, inFlight, workerIndex } });
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
    ),
  );
  const elapsed = (performance.now() - start) / 1000;
  const images = counts.reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({
    bench: 'mask-synth', synthesizer, path: mode === 'raw' ? 'raw-112-in-out' : 'jpeg-112-in-out', threads: workers,
    inFlightPerThread: mode === 'raw' ? 1 : inFlight, images, seconds: Number(elapsed.toFixed(2)),
    imagesPerSecond: Math.round(images / elapsed), cpus: os.availableParallelism(), inputs: jpegs.length,
  }));
}

for (const synthesizer of ['textured', 'natural']) {
  await run(synthesizer, 'raw', 1, 1);
  await run(synthesizer, 'raw', threads, 1);
  await run(synthesizer, 'jpeg', 1, 4);
  await run(synthesizer, 'jpeg', threads, 4);
}
