import { assertArgument, type tf } from '@bigface/backend';
import { areaUnderRoc } from './area-under-roc';
import { equalErrorRate, type EqualErrorRate } from './equal-error-rate';
import { falseNonMatchRateAtFalseMatchRate } from './false-non-match-rate-at-false-match-rate';
import { flipAveragedEmbeddings } from './flip-averaged-embeddings';
import { insightfaceVerification, type InsightfaceVerificationResult } from './insightface-verification';
import { STANDARD_FALSE_MATCH_RATES, type OperatingPoint } from './operating-points';
import { rocCurve, type RocCurve } from './roc-curve';

/** A verification set as insightface's `.bin` holds it: images of pair i at rows 2i and 2i+1. */
export interface VerificationPairs {
  /** NHWC, interleaved pairs, already normalised as the model expects. */
  images: tf.Tensor4D;
  issame: readonly boolean[];
}

/** Options of {@link evaluateVerificationPairs}. */
export interface EvaluateVerificationPairsOptions {
  batchSize?: number;
  /** Folds of the insightface protocol; default 10. */
  folds?: number;
  /** Operating points; default 1e-1 … 1e-6. */
  falseMatchRates?: readonly number[];
}

/** Wall-clock time of the stages of {@link evaluateVerificationPairs}, in milliseconds. */
export interface VerificationPairsTimings {
  /** Flip-averaged embeddings of every image, read back from the backend. */
  embedMilliseconds: number;
  /** Cosine scores, insightface 10-fold accuracy, ROC, FNMR@FMR, AUC and EER. */
  metricsMilliseconds: number;
}

/** Everything one model scores on one verification set. */
export interface VerificationPairsReport {
  insightface: InsightfaceVerificationResult;
  /** Cosine similarity of each pair's flip-averaged embeddings. */
  scores: Float64Array;
  roc: RocCurve;
  falseNonMatchRate: OperatingPoint[];
  areaUnderRoc: number;
  equalErrorRate: EqualErrorRate;
  /** Where the time went (for benchmarks and progress logs; not part of the result). */
  timings: VerificationPairsTimings;
}

/**
 * Scores a model on a verification set: flip-averaged, L2-normalised embeddings, the insightface
 * 10-fold accuracy on their squared distances, and the score metrics (ROC, FNMR@FMR, AUC, EER) on
 * their cosine similarities — what a `.bin` (LFW, CFP-FP, AgeDB-30, a masked variant) reports.
 *
 * @example
 * const report = evaluateVerificationPairs((x) => backbone.apply(x), { images, issame });
 * console.log(report.insightface.accuracyMean, report.falseNonMatchRate);
 */
export function evaluateVerificationPairs(
  embed: (images: tf.Tensor4D) => tf.Tensor2D,
  pairs: VerificationPairs,
  options: EvaluateVerificationPairsOptions = {},
): VerificationPairsReport {
  const { issame } = pairs;
  assertArgument(
    pairs.images.shape[0] === 2 * issame.length,
    'EVAL_BAD_IMAGES',
    () => `evaluateVerificationPairs: ${pairs.images.shape[0]} images for ${issame.length} pairs; expected ${2 * issame.length} (interleaved)`,
  );
  const embedBegin = performance.now();
  const embeddings = flipAveragedEmbeddings(embed, pairs.images, { batchSize: options.batchSize });
  const values = embeddings.dataSync();
  embeddings.dispose();
  const metricsBegin = performance.now();
  const size = values.length / (2 * issame.length);
  const rows = Array.from({ length: 2 * issame.length }, (_, row) => values.subarray(row * size, (row + 1) * size));
  const scores = new Float64Array(issame.length);
  for (let pair = 0; pair < issame.length; pair += 1) {
    const a = rows[2 * pair]!;
    const b = rows[2 * pair + 1]!;
    let dot = 0;
    for (let k = 0; k < size; k += 1) dot += a[k]! * b[k]!;
    scores[pair] = dot;
  }
  const report = {
    insightface: insightfaceVerification(rows, issame, { folds: options.folds }),
    scores,
    roc: rocCurve(scores, issame),
    falseNonMatchRate: falseNonMatchRateAtFalseMatchRate(scores, issame, options.falseMatchRates ?? STANDARD_FALSE_MATCH_RATES),
    areaUnderRoc: areaUnderRoc(scores, issame),
    equalErrorRate: equalErrorRate(scores, issame),
  };
  const end = performance.now();
  return { ...report, timings: { embedMilliseconds: metricsBegin - embedBegin, metricsMilliseconds: end - metricsBegin } };
}
