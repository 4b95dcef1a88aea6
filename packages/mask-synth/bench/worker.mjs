// One benchmark worker: masks JPEGs (decode → mask → encode) or raw crops, for `seconds`.
import { parentPort, workerData } from 'node:worker_threads';
import { applyNaturalMask, applyTexturedMask, decodeImage, encodeImage } from '@bigface/mask-synth';

const { jpegs, synthesizer, mode, seconds, inFlight, workerIndex } = workerData;
const apply = synthesizer === 'textured' ? applyTexturedMask : applyNaturalMask;
const buffers = jpegs.map((bytes) => Buffer.from(bytes));
let count = 0;
const end = performance.now() + seconds * 1000;
if (mode === 'raw') {
  const raws = await Promise.all(buffers.map((jpeg) => decodeImage(jpeg)));
  while (performance.now() < end) {
    for (let k = 0; k < 50; k++) apply(raws[count % raws.length], { seed: workerIndex * 1e6 + count++ });
  }
} else {
  const one = async () => {
    while (performance.now() < end) {
      const index = count++;
      const raw = await decodeImage(buffers[index % buffers.length]);
      await encodeImage(apply(raw, { seed: workerIndex * 1e6 + index }).image, 'jpeg', 90);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, one));
}
parentPort.postMessage(count);
