// One benchmark worker: masks JPEGs (decode → mask → encode) or raw crops, for `seconds`.
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { applyNaturalMask, applyTexturedMask, decodeImage, encodeImage } from '@bigface/mask-synth';

const { jpegs, synthesizer, mode, seconds, inFlight, workerIndex } = workerData;
// One libvips thread per operation: the parallelism comes from the worker threads, and more threads
// than cores only adds switching.
sharp.concurrency(1);
const apply = synthesizer === 'textured' ? applyTexturedMask : applyNaturalMask;
const buffers = jpegs.map((bytes) => Buffer.from(bytes));
let count = 0;
const raws = await Promise.all(buffers.map((jpeg) => decodeImage(jpeg)));
const codec = mode === 'jpeg-sharp' ? 'sharp' : 'auto';
// Tell the main thread we are set up, and start on its word.
await new Promise((resolve) => {
  parentPort.once('message', resolve);
  parentPort.postMessage('ready');
});
const end = performance.now() + seconds * 1000;
if (mode === 'raw') {
  while (performance.now() < end) {
    for (let k = 0; k < 50; k++) apply(raws[count % raws.length], { seed: workerIndex * 1e6 + count++ });
  }
} else {
  const one = async () => {
    while (performance.now() < end) {
      const index = count++;
      const raw = await decodeImage(buffers[index % buffers.length], { decoder: codec });
      await encodeImage(apply(raw, { seed: workerIndex * 1e6 + index }).image, { format: 'jpeg', quality: 90, encoder: codec });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, one));
}
parentPort.postMessage(count);
