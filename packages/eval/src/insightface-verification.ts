import { assertArgument } from '@bigface/backend';
import { asRows, type EmbeddingRows } from './as-rows';
import { kFoldSplits } from './k-fold-splits';

/** Options of {@link insightfaceVerification}. */
export interface InsightfaceVerificationOptions {
  /** Number of contiguous folds; default 10. */
  folds?: number;
  /** Squared-L2 distance thresholds; default insightface's `np.arange(0, 4, 0.01)`. */
  thresholds?: readonly number[];
}

/** Result of {@link insightfaceVerification}, named as insightface's `evaluate()` returns them. */
export interface InsightfaceVerificationResult {
  /** Test-fold accuracy at the threshold that was best on the other folds, one per fold. */
  accuracyPerFold: number[];
  accuracyMean: number;
  /** Population standard deviation (numpy `std`, ddof 0) of `accuracyPerFold`. */
  accuracyStd: number;
  /** The threshold picked on each fold's training part. */
  bestThresholdPerFold: number[];
  thresholds: number[];
  /** TPR on the test folds per threshold, averaged over folds. */
  tprMeanOverFolds: number[];
  /** FPR on the test folds per threshold, averaged over folds. */
  fprMeanOverFolds: number[];
  /** Squared L2 distance of each pair. */
  distances: Float64Array;
}

/** insightface's `np.arange(0, 4, 0.01)`: i·0.01 for i = 0 … 399. */
export function defaultDistanceThresholds(): number[] {
  return Array.from({ length: 400 }, (_, index) => index * 0.01);
}

interface Counts {
  tpr: number;
  fpr: number;
  accuracy: number;
}

/** insightface `calculate_accuracy`: a pair is predicted "same" when its distance < threshold. */
function countAt(threshold: number, distances: Float64Array, issame: readonly boolean[], indices: readonly number[]): Counts {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const index of indices) {
    const predicted = distances[index]! < threshold;
    if (issame[index]) {
      if (predicted) tp += 1;
      else fn += 1;
    } else if (predicted) fp += 1;
    else tn += 1;
  }
  return {
    tpr: tp + fn === 0 ? 0 : tp / (tp + fn),
    fpr: fp + tn === 0 ? 0 : fp / (fp + tn),
    accuracy: (tp + tn) / indices.length,
  };
}

/**
 * The insightface verification protocol (`eval/verification.py`, `calculate_roc`), computed in
 * float64 as numpy does: embeddings are interleaved pairs (rows 2i and 2i+1 form pair i),
 * distance = squared L2 distance, thresholds `arange(0, 4, 0.01)`, contiguous k-fold (KFold,
 * shuffle=False); in each fold the threshold with the best training accuracy (the first one on
 * ties, as `np.argmax`) is applied to the test fold. Pass L2-normalised (e.g. flip-averaged)
 * embeddings, as insightface does.
 *
 * @example
 * const result = insightfaceVerification(embeddings, issame); // embeddings [2·pairs, D]
 * console.log(`${(100 * result.accuracyMean).toFixed(2)} ± ${(100 * result.accuracyStd).toFixed(2)}`);
 */
export function insightfaceVerification(
  embeddings: EmbeddingRows,
  issame: readonly boolean[],
  options: InsightfaceVerificationOptions = {},
): InsightfaceVerificationResult {
  const rows = asRows(embeddings, 'insightfaceVerification');
  assertArgument(
    rows.length % 2 === 0,
    'EVAL_BAD_EMBEDDINGS',
    () => `insightfaceVerification: embeddings must hold interleaved pairs (an even row count), got ${rows.length} rows`,
  );
  const pairs = Math.min(rows.length / 2, issame.length);
  assertArgument(
    pairs === issame.length && pairs === rows.length / 2,
    'EVAL_BAD_EMBEDDINGS',
    () => `insightfaceVerification: ${rows.length} embeddings make ${rows.length / 2} pairs but issame has ${issame.length} entries`,
  );
  const thresholds = [...(options.thresholds ?? defaultDistanceThresholds())];
  assertArgument(thresholds.length > 0, 'EVAL_BAD_THRESHOLDS', () => 'insightfaceVerification: thresholds must not be empty');
  const distances = new Float64Array(pairs);
  for (let pair = 0; pair < pairs; pair += 1) {
    const a = rows[2 * pair]!;
    const b = rows[2 * pair + 1]!;
    let sum = 0;
    for (let k = 0; k < a.length; k += 1) sum += (a[k]! - b[k]!) ** 2;
    distances[pair] = sum;
  }
  const splits = kFoldSplits(pairs, options.folds ?? 10);
  const tprSum = new Float64Array(thresholds.length);
  const fprSum = new Float64Array(thresholds.length);
  const accuracyPerFold: number[] = [];
  const bestThresholdPerFold: number[] = [];
  for (const { train, test } of splits) {
    let best = 0;
    let bestAccuracy = -1;
    thresholds.forEach((threshold, index) => {
      const { accuracy } = countAt(threshold, distances, issame, train);
      if (accuracy > bestAccuracy) {
        best = index;
        bestAccuracy = accuracy;
      }
    });
    thresholds.forEach((threshold, index) => {
      const { tpr, fpr } = countAt(threshold, distances, issame, test);
      tprSum[index]! += tpr;
      fprSum[index]! += fpr;
    });
    bestThresholdPerFold.push(thresholds[best]!);
    accuracyPerFold.push(countAt(thresholds[best]!, distances, issame, test).accuracy);
  }
  const folds = splits.length;
  const accuracyMean = accuracyPerFold.reduce((sum, value) => sum + value, 0) / folds;
  const accuracyStd = Math.sqrt(accuracyPerFold.reduce((sum, value) => sum + (value - accuracyMean) ** 2, 0) / folds);
  return {
    accuracyPerFold,
    accuracyMean,
    accuracyStd,
    bestThresholdPerFold,
    thresholds,
    tprMeanOverFolds: Array.from(tprSum, (value) => value / folds),
    fprMeanOverFolds: Array.from(fprSum, (value) => value / folds),
    distances,
  };
}
