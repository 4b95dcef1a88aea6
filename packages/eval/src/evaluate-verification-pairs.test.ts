import { initBackend, tf } from '@bigface/backend';
import { readVerificationBin } from '@bigface/data';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceFile, tinyBinReference } from '../../../test-support/reference';
import { evaluateVerificationPairs } from './evaluate-verification-pairs';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** tiny.bin's JPEGs decoded to 112×112 RGB, normalised to (x/255 − 0.5)/0.5, NHWC. */
async function tinyPairs(): Promise<{ images: tf.Tensor4D; issame: boolean[] }> {
  const { images: jpegs, issame } = await readVerificationBin(referenceFile('tiny.bin'));
  const pixels = await Promise.all(jpegs.map((jpeg) => sharp(jpeg).resize(112, 112).removeAlpha().raw().toBuffer()));
  const flat = Float32Array.from(pixels.flatMap((buffer) => Array.from(buffer, (value) => (value / 255 - 0.5) / 0.5)));
  return { images: tf.tensor4d(flat, [jpegs.length, 112, 112, 3]), issame };
}

describe('evaluateVerificationPairs', () => {
  it('scores the reference tiny.bin end to end; cosine and squared distance agree (d² = 2 − 2cos)', async () => {
    const { images, issame } = await tinyPairs();
    // What CPython's pickle.load finds in the file (tiny-bin.json).
    const expected = tinyBinReference();
    expect(issame).toEqual(expected.issame);
    const genuine = issame.filter((same) => same).length;
    const impostors = issame.length - genuine;
    // A fixed random projection of 8×8-pooled pixels stands in for a backbone.
    const projection = tf.randomNormal([8 * 8 * 3, 16], 0, 1, 'float32', 5);
    const embed = (x: tf.Tensor4D): tf.Tensor2D => tf.tidy(() => tf.matMul(tf.reshape(tf.avgPool(x, 14, 14, 'valid'), [x.shape[0], -1]), projection));
    const before = tf.memory().numTensors;
    const report = evaluateVerificationPairs(embed, { images, issame }, { folds: 2, batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.scores).toHaveLength(expected.pairs);
    report.scores.forEach((cosine, pair) => {
      expect(report.insightface.distances[pair]).toBeCloseTo(2 - 2 * cosine, 5);
    });
    expect(report.insightface.accuracyPerFold).toHaveLength(2);
    // FNMR at FMR f needs at least 1/f impostor pairs; below that the point says so instead of a number.
    expect(report.falseNonMatchRate.length).toBeGreaterThan(0);
    for (const point of report.falseNonMatchRate) {
      const needed = Math.round(1 / point.falseMatchRate);
      if (impostors < needed)
        expect(point.value).toBe(`not enough impostor pairs for FMR ${point.falseMatchRate.toExponential()} (have ${impostors}, need ≥ ${needed})`);
      else expect(point.value as number).toSatisfy((value: number) => value >= 0 && value <= 1);
    }
    expect(report.roc.genuineCount).toBe(genuine);
    tf.dispose([images, projection]);
  });

  it('refuses images that are not interleaved pairs', () => {
    const images = tf.zeros([3, 2, 2, 3]) as tf.Tensor4D;
    expect(() => evaluateVerificationPairs((x) => tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D, { images, issame: [true, false] })).toThrow(
      /3 images for 2 pairs; expected 4/,
    );
    images.dispose();
  });
});
