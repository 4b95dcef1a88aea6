// Throughput of the two synthesizers on aligned 112x112 crops, one JSON line per case:
//   raw-112-in-out:         raw pixels in → raw pixels out (what the data loader uses);
//   jpeg-112-in-out:        JPEG in → decodeImage → mask (JS) → encodeImage JPEG q90 out, the library's
//                           defaults: small JPEGs go through libjpeg-turbo in WebAssembly;
//   jpeg-112-in-out-sharp:  the same with sharp forced for decode and encode ({decoder/encoder: 'sharp'});
// each on 1 thread and on `threads` worker threads (`inFlight` requests per thread for the JPEG paths:
// sharp works on libuv's thread pool, so it needs several in flight to keep a core busy).
// Usage: pnpm build && pnpm bench [seconds] [threads]
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { decodeImage } from '@bigface/mask-synth';
import { alignedJpegs } from './inputs.mjs';

const seconds = Number(process.argv[2] ?? 3);
const threads = Number(process.argv[3] ?? os.availableParallelism());
const jpegs = await alignedJpegs();

// Both paths must give the same pixels, or their numbers would not be comparable.
for (const jpeg of jpegs) {
  const a = await decodeImage(Buffer.from(jpeg));
  const b = await decodeImage(Buffer.from(jpeg), { decoder: 'sharp' });
  if (a.width !== b.width || a.height !== b.height || !Buffer.from(a.data).equals(Buffer.from(b.data))) {
    throw new Error('bench: the WebAssembly JPEG decoder and sharp disagree on an input');
  }
}

const paths = { raw: 'raw-112-in-out', jpeg: 'jpeg-112-in-out', 'jpeg-sharp': 'jpeg-112-in-out-sharp' };

async function run(synthesizer, mode, workers, inFlight) {
  // Workers load, decode their inputs and report ready; the clocks start when all are, so that
  // start-up is not counted.
  const pool = Array.from(
    { length: workers },
    (_, workerIndex) => new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { jpegs, synthesizer, mode, seconds, inFlight, workerIndex } }),
  );
  await Promise.all(
    pool.map(
      (worker) =>
        new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const counts = await Promise.all(
    pool.map(
      (worker) =>
        new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage('go');
        }),
    ),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  // CPU time of the whole process (all threads) per image: on a machine shared with other jobs this
  // moves much less than wall-clock throughput; 1000 / it is what one free core would do.
  const images = counts.reduce((a, b) => a + b, 0);
  const cpuMillisecondsPerImage = (cpu.user + cpu.system) / 1000 / images;
  console.log(
    JSON.stringify({
      bench: 'mask-synth',
      synthesizer,
      path: paths[mode],
      threads: workers,
      inFlightPerThread: mode === 'raw' ? 1 : inFlight,
      images,
      seconds: Number(elapsed.toFixed(2)),
      imagesPerSecond: Math.round(images / elapsed),
      cpuMillisecondsPerImage: Number(cpuMillisecondsPerImage.toFixed(3)),
      imagesPerSecondPerFreeCore: Math.round(1000 / cpuMillisecondsPerImage),
      cpus: os.availableParallelism(),
      loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
      inputs: jpegs.length,
    }),
  );
}

for (const synthesizer of ['textured', 'natural']) {
  await run(synthesizer, 'raw', 1, 1);
  await run(synthesizer, 'raw', threads, 1);
  for (const mode of ['jpeg', 'jpeg-sharp']) {
    await run(synthesizer, mode, 1, mode === 'jpeg' ? 1 : 4);
    await run(synthesizer, mode, threads, mode === 'jpeg' ? 1 : 4);
  }
}
