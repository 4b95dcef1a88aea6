// The real photos that @vladmandic/face-api ships (demo/sample1..6.jpg: 22 faces in all), and face-api.js's
// own 68-point landmarks for them (its bundled build at full size: fixtures/face-api-demo-landmarks.json).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
export const SAMPLE_DIRECTORY = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

export interface ReferenceFace {
  score: number;
  points: [number, number][];
}
export const REFERENCE: { images: Record<string, { width: number; height: number; faces: ReferenceFace[] }> } = JSON.parse(
  readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/face-api-demo-landmarks.json'), 'utf8'),
);

export function samplePath(index: number): string {
  return path.join(SAMPLE_DIRECTORY, `sample${index}.jpg`);
}

/** Sample photo `index` (1-6) shrunk to `width` pixels wide, as JPEG bytes (keeps the tests fast). */
export async function smallSample(index: number, width = 640): Promise<Buffer> {
  return sharp(samplePath(index)).resize(width).jpeg({ quality: 92 }).toBuffer();
}

/** The five ArcFace points of 68 iBUG points. */
export function fiveOf68(points: readonly (readonly [number, number])[]): [number, number][] {
  const mean = (from: number): [number, number] => {
    let x = 0,
      y = 0;
    for (let i = from; i < from + 6; i++) {
      x += points[i]![0] / 6;
      y += points[i]![1] / 6;
    }
    return [x, y];
  };
  return [mean(36), mean(42), [...points[30]!] as [number, number], [...points[48]!] as [number, number], [...points[54]!] as [number, number]];
}
