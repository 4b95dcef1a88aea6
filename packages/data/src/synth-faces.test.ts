import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../test/reference';
import { generateSynthFaces } from './generate-synth-faces';
import { RecordDataset } from './record-dataset';
import { renderSynthFace } from './render-synth-face';
import { createSynthIdentity } from './synth-identity';

const TEMPLATE = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** Leave-one-out nearest-centroid accuracy on raw pixels of rows [rowStart, rowEnd). */
function nearestCentroidAccuracy(images: Uint8Array[][], rowStart: number, rowEnd: number): number {
  const features = images.map((identity) => identity.map((image) => Float64Array.from(image.subarray(rowStart * 336, rowEnd * 336))));
  const length = features[0]![0]!.length;
  let correct = 0;
  let total = 0;
  for (let person = 0; person < features.length; person++) {
    for (let held = 0; held < features[person]!.length; held++) {
      let best = -1;
      let bestDistance = Infinity;
      for (let other = 0; other < features.length; other++) {
        const centroid = new Float64Array(length);
        const members = features[other]!.filter((_, k) => other !== person || k !== held);
        for (const member of members) for (let i = 0; i < length; i++) centroid[i]! += member[i]! / members.length;
        let distance = 0;
        const query = features[person]![held]!;
        for (let i = 0; i < length; i++) distance += (query[i]! - centroid[i]!) ** 2;
        if (distance < bestDistance) [best, bestDistance] = [other, distance];
      }
      if (best === person) correct++;
      total++;
    }
  }
  return correct / total;
}

describe('SynthFaces', () => {
  it('is deterministic and keeps the five landmarks near the ArcFace template', () => {
    const a = renderSynthFace(createSynthIdentity(11, 4), { sample: 2 });
    const b = renderSynthFace(createSynthIdentity(11, 4), { sample: 2 });
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
    expect(Buffer.from(renderSynthFace(createSynthIdentity(11, 4), { sample: 3 }).image.data).equals(Buffer.from(a.image.data))).toBe(false);
    for (let index = 0; index < 20; index++) {
      const { landmarks } = renderSynthFace(createSynthIdentity(1, index), { sample: index });
      landmarks.forEach(([x, y], k) => {
        expect(Math.hypot(x - TEMPLATE[k]![0]!, y - TEMPLATE[k]![1]!)).toBeLessThan(14);
      });
    }
  });

  it('makes identities a real task: above chance on raw pixels, far from perfect, with signal in the nose/mouth band', () => {
    const identities = 12;
    const images = Array.from({ length: identities }, (_, index) => {
      const identity = createSynthIdentity(7, index);
      return Array.from({ length: 5 }, (_, sample) => renderSynthFace(identity, { sample }).image.data);
    });
    const chance = 1 / identities;
    const whole = nearestCentroidAccuracy(images, 0, 112);
    const lowerFace = nearestCentroidAccuracy(images, 64, 104);
    // Raw-pixel nearest centroid is a weak learner: the task is neither trivial nor hopeless for it.
    expect(whole).toBeGreaterThan(2 * chance);
    expect(whole).toBeLessThan(0.95);
    expect(lowerFace).toBeGreaterThan(2 * chance);
  });

  it('generates N x K images into an insightface RecordIO set, byte-identical for the same seed', async () => {
    const first = temporaryDirectory();
    const second = temporaryDirectory();
    const options = { identities: 3, imagesPerIdentity: 4, seed: 5 };
    const result = await generateSynthFaces({ ...options, recordPath: path.join(first, 'train.rec') });
    await generateSynthFaces({ ...options, directory: second });
    await expect(generateSynthFaces({ ...options })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(result).toMatchObject({ numImages: 12, numClasses: 3 });
    expect(readFileSync(path.join(first, 'train.rec')).equals(readFileSync(path.join(second, 'train.rec')))).toBe(true);
    const dataset = RecordDataset.open(path.join(first, 'train.rec'));
    expect([dataset.length, dataset.numClasses, dataset.imageSize]).toEqual([12, 3, [112, 112]]);
    expect(Array.from({ length: 12 }, (_, i) => dataset.read(i).label)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    const metadata = await sharp(dataset.read(5).image).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['jpeg', 112, 112]);
    dataset.close();
  });
});
