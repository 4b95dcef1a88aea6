// Regenerates test/fixtures/face-api-demo-landmarks.json: 68-point landmarks of the faces in
// @vladmandic/face-api's demo photos, found by that package's own SSD-MobileNetV1 detector and
// 68-point landmark net on the tfjs cpu backend bundled in its ESM build. Run once (about a minute):
//   node scripts/detect-landmarks.mjs
// The bundle stubs out node's `util` (it targets browsers); we hand it the real one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { createRequire } from 'node:module';
import sharp from 'sharp';

const packageRoot = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const faceApiRoot = path.join(packageRoot, 'node_modules/@vladmandic/face-api');
const bundle = fs.readFileSync(path.join(faceApiRoot, 'dist/face-api.esm.js'), 'utf8').replace('AR=Vt(()=>{})', 'AR=()=>globalThis.__nodeUtil');
const patched = path.join(os.tmpdir(), 'face-api-patched.mjs');
fs.writeFileSync(patched, bundle);
globalThis.__nodeUtil = util;
const faceapi = await import(patched);
const tf = faceapi.tf;
await tf.setBackend('cpu');
await tf.ready();

function load(net, name) {
  const manifest = JSON.parse(fs.readFileSync(path.join(faceApiRoot, `model/${name}-weights_manifest.json`), 'utf8'));
  const bin = fs.readFileSync(path.join(faceApiRoot, 'model', manifest[0].paths[0]));
  const weights = tf.io.decodeWeights(
    bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    manifest.flatMap((group) => group.weights),
  );
  net.loadFromWeightMap(weights);
}
load(faceapi.nets.ssdMobilenetv1, 'ssd_mobilenetv1_model');
load(faceapi.nets.faceLandmark68Net, 'face_landmark_68_model');

const images = {};
for (let index = 1; index <= 6; index++) {
  const file = `demo/sample${index}.jpg`;
  const { data, info } = await sharp(path.join(faceApiRoot, file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const input = tf.tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32');
  const found = await faceapi.detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 })).withFaceLandmarks();
  input.dispose();
  images[file] = {
    width: info.width,
    height: info.height,
    faces: found.map((face) => ({
      score: Number(face.detection.score.toFixed(3)),
      points: face.landmarks.positions.map((point) => [Number(point.x.toFixed(1)), Number(point.y.toFixed(1))]),
    })),
  };
  console.error(file, found.length, 'faces');
}
const version = createRequire(import.meta.url)(path.join(faceApiRoot, 'package.json')).version;
const fixture = {
  source: `@vladmandic/face-api@${version} demo photos`,
  method: 'face-api SsdMobilenetv1 (minConfidence 0.5) + FaceLandmark68Net, tfjs cpu backend; scripts/detect-landmarks.mjs',
  order: 'iBUG 68-point (dlib) order, pixel coordinates (x, y)',
  images,
};
fs.writeFileSync(path.join(packageRoot, 'test/fixtures/face-api-demo-landmarks.json'), `${JSON.stringify(fixture)}\n`);
