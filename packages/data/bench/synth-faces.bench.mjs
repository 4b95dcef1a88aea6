// SynthFaces generation (render + JPEG + pack to RecordIO): one JSON line. Not a test.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSynthFaces } from '@bigface/data';

const images = Number(process.env.BENCH_IMAGES ?? 1200);
const directory = mkdtempSync(path.join(os.tmpdir(), 'bigface-data-bench-'));
const cores = os.availableParallelism?.() ?? os.cpus().length;
try {
  const identities = Math.max(1, Math.round(images / 12));
  const started = performance.now();
  await generateSynthFaces({ identities, imagesPerIdentity: 12, seed: 1, recordPath: path.join(directory, 'train.rec') });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      bench: 'synth-faces-generate',
      images: identities * 12,
      seconds: round(seconds),
      imagesPerSecond: round((identities * 12) / seconds),
      cores,
    }),
  );
} finally {
  rmSync(directory, { recursive: true, force: true });
}

function round(value) {
  return Math.round(value * 100) / 100;
}
