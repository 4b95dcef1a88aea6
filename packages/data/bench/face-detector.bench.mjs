// Face detection on @vladmandic/face-api's six sample photos (22 faces), scaled to 640 px wide (~640x480):
// one JSON line per detector and backend with photos per second (detector + 68-point landmarks, after
// a warm-up), faces found, and the mean distance of the five points from face-api.js's own results
// (test/fixtures/face-api-demo-landmarks.json, made by its bundled build at full size) over the
// inter-ocular distance. Not a test.
//   node bench/face-detector.bench.mjs [backend ...]     (default: cpu wasm)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
if (process.env.BENCH_CHILD === undefined) {
  // One process per backend: a tfjs backend is chosen once per process.
  for (const backend of process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['cpu', 'wasm']) {
    const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_CHILD: '1', BIGFACE_BACKEND: backend },
    });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
  process.exit(0);
}

const { initBackend, tf } = await import('@bigface/backend');
const { FaceDetector, FACE_DETECTOR_MODELS } = await import('@bigface/data');
const { decodeImage } = await import('@bigface/mask-synth');
const sharp = (await import('sharp')).default;
const info = await initBackend();
const require = createRequire(path.join(here, '..', 'package.json'));
const demo = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const fixture = JSON.parse(readFileSync(path.join(here, '../test/fixtures/face-api-demo-landmarks.json'), 'utf8'));
const width = Number(process.env.BENCH_WIDTH ?? 640);
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const photos = [];
for (let index = 1; index <= 6; index++) {
  const file = `demo/sample${index}.jpg`;
  const bytes = await sharp(path.join(demo, `sample${index}.jpg`))
    .resize(width)
    .jpeg({ quality: 90 })
    .toBuffer();
  photos.push({ file, bytes, scale: fixture.images[file].width / width, reference: fixture.images[file].faces });
}
const five = (p) => [mean(p, 36), mean(p, 42), p[30], p[48], p[54]];
for (const model of process.env.BENCH_MODELS?.split(',') ?? FACE_DETECTOR_MODELS) {
  const detector = FaceDetector.load({ model });
  let found = 0,
    matched = 0,
    referenceFaces = 0,
    errorSum = 0,
    errorCount = 0;
  for (const photo of photos) {
    const faces = await detector.detect(await decodeImage(photo.bytes));
    found += faces.length;
    for (const reference of photo.reference) {
      referenceFaces++;
      const target = five(reference.points);
      const interocular = Math.hypot(target[0][0] - target[1][0], target[0][1] - target[1][1]);
      const best = faces
        .map((face) => face.landmarks.map(([x, y]) => [(x + 0.5) * photo.scale - 0.5, (y + 0.5) * photo.scale - 0.5]))
        .map((points) => ({ points, distance: Math.hypot(points[2][0] - target[2][0], points[2][1] - target[2][1]) }))
        .sort((a, b) => a.distance - b.distance)[0];
      if (best === undefined || best.distance > interocular) continue;
      matched++;
      best.points.forEach(([x, y], k) => {
        errorSum += Math.hypot(x - target[k][0], y - target[k][1]) / interocular;
        errorCount++;
      });
    }
  }
  // Timing: decode + detect + landmarks, photos in turn, after one warm-up pass.
  let count = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await detector.detect(await decodeImage(photos[count % photos.length].bytes));
    count++;
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  detector.dispose();
  console.log(
    JSON.stringify({
      bench: 'face-detector',
      model,
      backend: info.description,
      width,
      photos: count,
      photosPerSecond: round(count / elapsed),
      cpuMillisecondsPerPhoto: round((cpu.user + cpu.system) / 1000 / count),
      facesFound: found,
      matchedOfReference: `${matched}/${referenceFaces}`,
      meanFivePointErrorOverInterocular: round(errorSum / errorCount, 3),
      tensorsLeft: tf.memory().numTensors,
      loadAverage1m: round(os.loadavg()[0]),
      cores: os.availableParallelism?.() ?? os.cpus().length,
    }),
  );
}

function mean(points, from) {
  let x = 0,
    y = 0;
  for (let i = from; i < from + 6; i++) {
    x += points[i][0] / 6;
    y += points[i][1] / 6;
  }
  return [x, y];
}
function round(value, digits = 2) {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
