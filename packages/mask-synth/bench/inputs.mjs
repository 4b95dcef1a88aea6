// Aligned 112x112 JPEG crops of the real faces in @vladmandic/face-api's demo photos.
import { readFile } from 'node:fs/promises';
import { alignFace, decodeImage, encodeImage } from '@bigface/mask-synth';

export async function alignedJpegs() {
  const root = new URL('..', import.meta.url);
  const fixture = JSON.parse(await readFile(new URL('test/fixtures/face-api-demo-landmarks.json', root), 'utf8'));
  const jpegs = [];
  for (const [file, { faces }] of Object.entries(fixture.images)) {
    const photo = await decodeImage(new URL(`node_modules/@vladmandic/face-api/${file}`, root).pathname);
    for (const face of faces) jpegs.push(await encodeImage(alignFace(photo, face.points).image, 'jpeg', 95));
  }
  return jpegs;
}
