// Renders docs/raw-photos.jpg for the README from @vladmandic/face-api's raw sample photos (nothing
// given but the photos): each row is one photo with every face masked where the detector found it
// (bigface mask), then the ArcFace 112x112 crops of its faces (bigface data align --all-faces), then
// those crops masked. Run after `pnpm build`: node scripts/raw-photos-sheet.mjs [output.jpg]
import { createRequire } from 'node:module';
import path from 'node:path';
import { initBackend } from '@bigface/backend';
import { alignFaces, createLandmarkFinder, FaceDetector } from '@bigface/data';
import { encodeImage, maskImage } from '@bigface/mask-synth';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
const demo = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const output = process.argv[2] ?? new URL('../docs/raw-photos.jpg', import.meta.url).pathname;
await initBackend({ backend: 'wasm' });
const detector = FaceDetector.load();
const photoHeight = 236;
const cell = 112;
const gap = 4;
const rows = [];
for (let index = 1; index <= 6; index++) {
  const file = path.join(demo, `sample${index}.jpg`);
  const masked = await maskImage(file, { seed: index, synthesizer: 'augment', ratio: 1, findLandmarks: createLandmarkFinder(detector), format: 'png' });
  const photo = await sharp(masked.encoded).resize({ height: photoHeight }).png().toBuffer();
  const photoWidth = (await sharp(photo).metadata()).width;
  const { faces } = await alignFaces(file, { detector, allFaces: true });
  faces.sort((a, b) => a.box.x - b.box.x);
  const crops = [];
  for (const [k, face] of faces.entries()) {
    const png = await encodeImage(face.image, 'png');
    const maskedCrop = await maskImage(png, { seed: index * 10 + k, synthesizer: 'augment', ratio: 1, format: 'png' });
    crops.push({ plain: png, masked: maskedCrop.encoded });
  }
  rows.push({ photo, photoWidth, crops });
}
const maxCrops = Math.max(...rows.map((row) => row.crops.length));
const photoColumn = Math.max(...rows.map((row) => row.photoWidth));
const width = gap + photoColumn + gap + maxCrops * (cell + gap);
const height = gap + rows.length * (photoHeight + gap);
const tiles = [];
rows.forEach((row, r) => {
  const top = gap + r * (photoHeight + gap);
  tiles.push({ input: row.photo, left: gap, top });
  row.crops.forEach((crop, k) => {
    const left = gap + photoColumn + gap + k * (cell + gap);
    tiles.push({ input: crop.plain, left, top });
    tiles.push({ input: crop.masked, left, top: top + cell + (photoHeight - 2 * cell) });
  });
});
await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
  .composite(tiles)
  .jpeg({ quality: 85 })
  .toFile(output);
detector.dispose();
console.log(`wrote ${output} (${width}x${height})`);
