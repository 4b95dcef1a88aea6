import { readFileSync } from 'node:fs';
import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceFile } from '../../../test-support/reference';
import { insightfaceVerification } from './insightface-verification';

interface VerificationReference {
  embedding_size: number;
  embeddings: number[];
  issame: boolean[];
  accuracy_mean: number;
  accuracy_std: number;
  accuracy_per_fold: number[];
  tpr_mean_over_folds: number[];
  fpr_mean_over_folds: number[];
}

const reference = JSON.parse(readFileSync(referenceFile('verification.json'), 'utf8')) as VerificationReference;
const size = reference.embedding_size;
const rows = Array.from({ length: reference.embeddings.length / size }, (_, row) => reference.embeddings.slice(row * size, (row + 1) * size));

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('insightfaceVerification', () => {
  it(`matches insightface verification.py on the ${reference.issame.length}-pair reference (numpy)`, () => {
    const result = insightfaceVerification(rows, reference.issame);
    expect(result.accuracyPerFold).toEqual(reference.accuracy_per_fold);
    expect(result.accuracyMean).toBeCloseTo(reference.accuracy_mean, 14);
    expect(result.accuracyStd).toBeCloseTo(reference.accuracy_std, 14);
    // One TPR and FPR per threshold of insightface's grid (arange(0, 4, 0.01): 400 of them).
    expect(result.tprMeanOverFolds).toHaveLength(reference.tpr_mean_over_folds.length);
    expect(result.fprMeanOverFolds).toHaveLength(reference.fpr_mean_over_folds.length);
    result.tprMeanOverFolds.forEach((value, index) => {
      expect(Math.abs(value - reference.tpr_mean_over_folds[index]!)).toBeLessThanOrEqual(1e-12);
    });
    result.fprMeanOverFolds.forEach((value, index) => {
      expect(Math.abs(value - reference.fpr_mean_over_folds[index]!)).toBeLessThanOrEqual(1e-12);
    });
  });

  it('accepts a [2·pairs, D] tensor and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const embeddings = tf.tensor2d(rows);
    const result = insightfaceVerification(embeddings, reference.issame);
    embeddings.dispose();
    // float32 rounding of the embeddings moves no pair across a threshold here.
    expect(result.accuracyPerFold).toEqual(reference.accuracy_per_fold);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('picks the first best threshold (np.argmax) on a hand-made case', () => {
    // 2 folds of 2 pairs. Distances: pair 0 (same) 0.25, pair 1 (diff) 1.0, pair 2 (same) 0.5, pair 3 (diff) 0.75.
    // Thresholds [0, 0.3, 0.6, 0.9]. Fold 0 tests pairs 0,1 and trains on 2,3: train accuracy
    // 0.5, 0.5, 1 (0.5 < 0.6, 0.75 ≥ 0.6), 0.5 → 0.6; on the test pairs 0.25 < 0.6 (same ✓), 1.0 ≥ 0.6 (diff ✓): 1.
    // Fold 1 trains on 0,1: 0.5, 1 (0.25 < 0.3, 1.0 ≥ 0.3), 1, 1 → first max 0.3; test: 0.5 ≥ 0.3 predicts diff (✗),
    // 0.75 ≥ 0.3 diff (✓): 0.5.
    const unit = (distance: number): number[][] => [
      [0, 0],
      [Math.sqrt(distance), 0],
    ];
    const embeddings = [0.25, 1, 0.5, 0.75].flatMap(unit);
    const result = insightfaceVerification(embeddings, [true, false, true, false], { folds: 2, thresholds: [0, 0.3, 0.6, 0.9] });
    expect(result.bestThresholdPerFold).toEqual([0.6, 0.3]);
    expect(result.accuracyPerFold).toEqual([1, 0.5]);
    expect(result.accuracyMean).toBe(0.75);
    expect(result.accuracyStd).toBe(0.25);
  });

  it('explains a mismatch between embeddings and labels', () => {
    expect(() => insightfaceVerification([[1], [0]], [true, false])).toThrow(/2 embeddings make 1 pairs but issame has 2 entries/);
  });
});
