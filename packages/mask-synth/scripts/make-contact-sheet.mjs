// Makes docs/contact-sheet.png with the built package: faces from @vladmandic/face-api's demo photos
// (landmarks from test/fixtures/face-api-demo-landmarks.json), rows 1-3 as ArcFace-aligned 112x112 crops
// masked without landmarks (how WebFace42M ships), rows 4-6 masked on the full photo with 68 landmarks.
//   pnpm build && node scripts/make-contact-sheet.mjs
import { readFile, writeFile } from 'node:fs/promises';
import { alignFace, decodeImage, makeContactSheet } from '@bigface/mask-synth';

const root = new URL('..', import.meta.url);
const fixture = JSON.parse(await readFile(new URL('test/fixtures/face-api-demo-landmarks.json', root), 'utf8'));
const photo = (file) => new URL(`node_modules/@vladmandic/face-api/${file}`, root).pathname;
const picks = [
  ['demo/sample1.jpg', 0],
  ['demo/sample2.jpg', 0],
  ['demo/sample5.jpg', 1],
  ['demo/sample1.jpg', 2],
  ['demo/sample3.jpg', 0],
  ['demo/sample6.jpg', 1],
];
const faces = [];
for (const [index, [file, face]] of picks.entries()) {
  const raw = await decodeImage(photo(file));
  const landmarks = fixture.images[file].faces[face].points;
  faces.push(index < 3 ? { image: alignFace(raw, landmarks).image } : { image: raw, landmarks });
}
const png = await makeContactSheet(faces, { seed: 2026, cellSize: 128 });
await writeFile(new URL('docs/contact-sheet.png', root), png);
console.log(`docs/contact-sheet.png: ${faces.length} faces, ${png.length} bytes`);
