// The whole `bigface data align` engine (alignPhotoFolder: decode, detect, 68 points, warp, JPEG, write,
// detections.jsonl) on copies of @vladmandic/face-api's six sample photos scaled to 640 px wide
// (~640x480), largest face per photo: one JSON line per worker count, with CPU time of all threads per
// photo (steadier than the rate on a shared machine) and the load average it ran under. Not a test.
//   BENCH_PHOTOS=60 node bench/align-photo-folder.bench.mjs
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { alignPhotoFolder } from '@bigface/data';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
const demo = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const count = Number(process.env.BENCH_PHOTOS ?? 36);
const root = mkdtempSync(path.join(os.tmpdir(), 'bigface-align-bench-'));
try {
  const photos = path.join(root, 'photos');
  const samples = [];
  for (let index = 1; index <= 6; index++)
    samples.push(
      await sharp(path.join(demo, `sample${index}.jpg`))
        .resize(640)
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
  for (let i = 0; i < count; i++) {
    const folder = path.join(photos, `id_${i % 6}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `${String(i).padStart(4, '0')}.jpg`), samples[i % 6]);
  }
  for (const workers of (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number)) {
    const output = path.join(root, `out-${workers}`);
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    const result = await alignPhotoFolder(photos, output, { workers });
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    console.log(
      JSON.stringify({
        bench: 'align-photo-folder',
        workers,
        backend: process.env.BIGFACE_BACKEND ?? 'wasm (workers default)',
        width: 640,
        photos: count,
        faces: result.faces,
        seconds: round(seconds),
        photosPerSecond: round(count / seconds),
        cpuMillisecondsPerPhoto: round((cpu.user + cpu.system) / 1000 / count),
        loadAverage1m: round(os.loadavg()[0]),
        cores: os.availableParallelism?.() ?? os.cpus().length,
      }),
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

function round(value) {
  return Math.round(value * 100) / 100;
}
