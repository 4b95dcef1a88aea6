import { initBackend, tf } from '@bigface/backend';
import { maskImage } from '@bigface/mask-synth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fiveOf68, REFERENCE, smallSample } from '../test/sample-photos';
import { createLandmarkFinder } from './create-landmark-finder';
import { FaceAlignPool } from './face-align-pool';
import { FaceDetector } from './face-detector';

let pool: FaceAlignPool;
beforeAll(() => {
  pool = new FaceAlignPool({ workers: 1 });
});
afterAll(() => pool.close());

describe('createLandmarkFinder: masks on raw photos', () => {
  it('masks every face of a sample photo where face-api.js put its mouth, and leaves the eyes', async () => {
    const photo = await smallSample(1, 640);
    const result = await maskImage(photo, { seed: 5, synthesizer: 'natural', findLandmarks: createLandmarkFinder(pool), format: 'png' });
    const reference = REFERENCE.images['demo/sample1.jpg']!;
    const scale = 640 / reference.width;
    expect(result.faces).toHaveLength(reference.faces.length);
    for (const face of reference.faces) {
      const [leftEye, rightEye, , leftMouth, rightMouth] = fiveOf68(face.points).map(([x, y]) => [Math.round(x * scale), Math.round(y * scale)] as const);
      const mouth = [Math.round((leftMouth![0] + rightMouth![0]) / 2), Math.round((leftMouth![1] + rightMouth![1]) / 2)] as const;
      const chin = [Math.round(face.points[8]![0] * scale), Math.round(face.points[8]![1] * scale - 4)] as const;
      for (const [x, y] of [mouth, chin]) expect(result.alpha[y * result.width + x], `mask at ${x},${y}`).toBeGreaterThanOrEqual(250);
      for (const [x, y] of [leftEye!, rightEye!]) expect(result.alpha[y * result.width + x], `eye at ${x},${y}`).toBe(0);
    }
  });

  it('also runs on a detector of this thread, only the largest face when asked, leaving no tensor behind', async () => {
    await initBackend({ backend: 'wasm' });
    const detector = FaceDetector.load();
    const before = tf.memory().numTensors;
    const result = await maskImage(await smallSample(5, 480), {
      seed: 1,
      synthesizer: 'textured',
      findLandmarks: createLandmarkFinder(detector, { allFaces: false }),
    });
    expect(result.faces).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
    detector.dispose();
  });
});
