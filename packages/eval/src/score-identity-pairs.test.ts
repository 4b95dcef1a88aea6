import { initBackend, Rng, tf } from '@bigface/backend';
import type { RawImage } from '@bigface/mask-synth';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateVerificationPairs } from './evaluate-verification-pairs';
import { rawImagesToTensor } from './raw-images-to-tensor';
import { sampleIdentityPairs } from './sample-identity-pairs';
import { prepareIdentityPairImages, scoreIdentityPairs } from './score-identity-pairs';
import { applyVerificationProtocol, type FaceMasker } from './verification-protocol';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** Random 16×16 faces; the "mask" blanks the lower half (a pure function of the image, not of the seed). */
function faces(count: number): RawImage[] {
  const rng = new Rng(3);
  return Array.from({ length: count }, () => ({
    data: Uint8Array.from({ length: 16 * 16 * 3 }, () => rng.int(256)),
    width: 16,
    height: 16,
    channels: 3 as const,
  }));
}
const lowerHalf: FaceMasker = (image) => ({ ...image, data: image.data.map((value, index) => (index >= 8 * 16 * 3 ? 128 : value)) });

describe('scoreIdentityPairs', () => {
  it('equals the interleaved-pairs pipeline (evaluateVerificationPairs) on both protocols, embedding each face once', () => {
    const images = faces(12);
    const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3];
    const pairs = sampleIdentityPairs(labels, { impostors: 20, seed: 1 });
    const projection = tf.randomNormal([4 * 4 * 3, 8], 0, 1, 'float32', 2);
    let embedded = 0;
    const embed = (x: tf.Tensor4D): tf.Tensor2D => {
      embedded += x.shape[0];
      return tf.tidy(() => tf.matMul(tf.reshape(tf.avgPool(x, 4, 4, 'valid'), [x.shape[0], -1]), projection));
    };
    const prepared = prepareIdentityPairImages(images, { mask: lowerHalf, seed: 5 });
    const before = tf.memory().numTensors;
    const scores = scoreIdentityPairs(embed, prepared, pairs, { batchSize: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(embedded).toBe(2 * 2 * 12); // plain and masked, each with its flip

    // Independent path: the pairs written out as interleaved images, masked by the protocol.
    const interleaved = Array.from(pairs.first).flatMap((a, p) => [images[a]!, images[pairs.second[p]!]!]);
    for (const protocol of ['standard', 'masked'] as const) {
      const tensor = rawImagesToTensor(applyVerificationProtocol(interleaved, protocol, { mask: lowerHalf }));
      const report = evaluateVerificationPairs(embed, { images: tensor, issame: pairs.issame }, { folds: 2 });
      tensor.dispose();
      report.scores.forEach((score, p) => {
        expect(scores[protocol][p]).toBeCloseTo(score, 5);
      });
    }
    tf.dispose([prepared.plain, prepared.masked, projection]);
  });

  it('masks face k with seed hashSeed(seed, k), resizes after masking, and checks the pairs', () => {
    const images = faces(3);
    const seeds: number[] = [];
    const prepared = prepareIdentityPairImages(images, {
      mask: (image, seed) => {
        seeds.push(seed);
        return image;
      },
      seed: 9,
      imageSize: 8,
    });
    expect(prepared.plain.shape).toEqual([3, 8, 8, 3]);
    expect(new Set(seeds).size).toBe(3);
    const bad = { first: Int32Array.of(0), second: Int32Array.of(3), firstIdentity: Int32Array.of(0), secondIdentity: Int32Array.of(1), issame: [false] };
    expect(() => scoreIdentityPairs((x) => tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D, prepared, bad)).toThrow(
      /pair 0 refers to faces 0 and 3, but there are 3/,
    );
    tf.dispose([prepared.plain, prepared.masked]);
  });
});
