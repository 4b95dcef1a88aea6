import { Rng, SingleCommunicator, initBackend, tf } from '@bigface/backend';
import { arcFace, combinedMargin, cosFace, type TargetMargin } from '@bigface/margin-losses';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from '../test/relative-error';
import { distributedCrossEntropy, type CrossEntropyResult, type CrossEntropyStatistics } from './distributed-cross-entropy';
import { distributedMarginCrossEntropy } from './distributed-margin-cross-entropy';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const rows = 6;
const columns = 9;
const rng = new Rng(33);
// Cosines in (−0.9, 0.9) so that ArcFace's acos is smooth; targets at various columns, two rows unlabeled.
const cosines = Array.from({ length: rows * columns }, () => 0.9 * Math.tanh(rng.normal()));
const labels = Int32Array.from([2, -1, 0, 8, 5, -1]);
const labelled = Uint8Array.from(labels, (label) => (label >= 0 ? 1 : 0));

type Head = (cosine: tf.Tensor2D) => CrossEntropyResult;

function lossAndGradient(head: Head) {
  let statistics: CrossEntropyStatistics | undefined;
  const result = tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((c: tf.Tensor) => {
      const { loss, ...rest } = head(c as tf.Tensor2D);
      statistics = rest;
      return loss;
    })(tf.tensor2d(cosines, [rows, columns]));
    return { loss: value.dataSync()[0]!, gradient: Array.from(grad.dataSync()) };
  });
  return { ...result, statistics };
}

const margins: Array<[string, TargetMargin]> = [
  ['cosFace s = 64, m = 0.4', cosFace({ s: 64, m: 0.4 })],
  ['arcFace s = 64, m = 0.5', arcFace({ s: 64, m: 0.5 })],
  ['combinedMargin s = 32, m1 = 1.2, m2 = 0.3, m3 = 0.2', combinedMargin({ s: 32, m1: 1.2, m2: 0.3, m3: 0.2 })],
];

describe('distributedMarginCrossEntropy', () => {
  for (const [name, margin] of margins) {
    it(`equals the margin on the whole matrix followed by distributedCrossEntropy (${name}), unlabeled rows included`, () => {
      const communicator = new SingleCommunicator();
      const before = tf.memory().numTensors;
      // Independent path: the margin-losses margin on all [B, C] logits, autodiff through it.
      const expected = lossAndGradient((c) => distributedCrossEntropy(communicator, margin(c, tf.tensor1d(labels, 'int32')), labels, labelled));
      const actual = lossAndGradient((c) => distributedMarginCrossEntropy(communicator, c, margin, labels, labelled));
      expect(Math.abs(actual.loss - expected.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(expected.loss));
      expect(relativeError(actual.gradient, expected.gradient)).toBeLessThan(1e-6);
      // Unlabeled rows get no gradient at all.
      for (const row of [1, 5]) expect(actual.gradient.slice(row * columns, (row + 1) * columns).every((g) => g === 0)).toBe(true);
      expect(actual.statistics).toEqual(expected.statistics);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('keeps fewer [B, C] tensors alive than autodiff through the margin (tf.profile peak)', async () => {
    const communicator = new SingleCommunicator();
    const margin = cosFace();
    const cosine = tf.tensor2d(
      Array.from({ length: 64 * 4096 }, () => 0.5 * Math.tanh(rng.normal())),
      [64, 4096],
    );
    const wide = Int32Array.from({ length: 64 }, (_, i) => (i % 5 === 4 ? -1 : (i * 577) % 4096));
    const wideLabelled = Uint8Array.from(wide, (label) => (label >= 0 ? 1 : 0));
    const matrixBytes = 64 * 4096 * 4;
    const peak = async (head: (c: tf.Tensor2D) => CrossEntropyResult) => {
      const profile = await tf.profile(() => {
        const { value, grad } = tf.valueAndGrad((c: tf.Tensor) => head(c as tf.Tensor2D).loss)(cosine);
        tf.dispose([value, grad]);
      });
      return profile.peakBytes / matrixBytes;
    };
    const fused = await peak((c) => distributedMarginCrossEntropy(communicator, c, margin, wide, wideLabelled));
    const generic = await peak((c) => distributedCrossEntropy(communicator, margin(c, tf.tensor1d(wide, 'int32')), wide, wideLabelled));
    // [B, C] matrices alive at the peak, the input included: 5.0 seen (input, its saved copy, the
    // gradient from the softmax, the target scatter and their sum) against 17.0 through autodiff.
    expect(fused).toBeLessThan(5.5);
    expect(fused).toBeLessThan(generic / 2);
    cosine.dispose();
  });
});
