export {
  insightfaceVerification,
  defaultDistanceThresholds,
  type InsightfaceVerificationOptions,
  type InsightfaceVerificationResult,
} from './insightface-verification';
export { kFoldSplits, type Fold } from './k-fold-splits';
export type { EmbeddingRows } from './as-rows';
export { rocCurve, type RocCurve } from './roc-curve';
export { STANDARD_FALSE_MATCH_RATES, type OperatingPoint } from './operating-points';
export { trueAcceptRateAtFalseAcceptRate } from './true-accept-rate-at-false-accept-rate';
export { falseNonMatchRateAtFalseMatchRate } from './false-non-match-rate-at-false-match-rate';
export { areaUnderRoc } from './area-under-roc';
export { equalErrorRate, type EqualErrorRate } from './equal-error-rate';
export { flipAveragedEmbeddings, type FlipAveragedEmbeddingsOptions } from './flip-averaged-embeddings';
export { rocCurveSvg, type RocCurveSeries, type RocCurveSvgOptions } from './roc-curve-svg';
export { lossCurvesSvg, type LossCurve, type LossCurvesSvgOptions } from './loss-curves-svg';
export { scoreHistogramSvg, type ScoreHistogramSvgOptions } from './score-histogram-svg';
export { scoreHistogram } from './score-histogram';
export { svgToPng } from './svg-to-png';
export { verificationReportTable, type VerificationReportRow, type VerificationReportTableOptions } from './verification-report-table';
export {
  evaluateVerificationPairs,
  type VerificationPairs,
  type EvaluateVerificationPairsOptions,
  type VerificationPairsReport,
  type VerificationPairsTimings,
} from './evaluate-verification-pairs';
export {
  VERIFICATION_PROTOCOLS,
  applyVerificationProtocol,
  defaultFaceMasker,
  type VerificationProtocol,
  type FaceMasker,
  type ApplyVerificationProtocolOptions,
} from './verification-protocol';
export { rawImagesToTensor } from './raw-images-to-tensor';
export {
  evaluateVerificationBin,
  type EvaluateVerificationBinOptions,
  type VerificationBinReport,
  type VerificationBinTimings,
} from './evaluate-verification-bin';
export { verificationReportRow, type VerificationReportRowOptions } from './verification-report-row';
export { sampleIdentityPairs, type IdentityPairs, type SampleIdentityPairsOptions } from './sample-identity-pairs';
export {
  prepareIdentityPairImages,
  scoreIdentityPairs,
  type IdentityPairImages,
  type IdentityPairScores,
  type PrepareIdentityPairImagesOptions,
} from './score-identity-pairs';
export { weightedFalseNonMatchRate } from './weighted-false-non-match-rate';
export {
  bootstrapOverIdentities,
  identityBootstrapWeights,
  type BootstrapInterval,
  type BootstrapOptions,
  type PairIdentities,
} from './bootstrap-over-identities';
export {
  fnmrContrastInterval,
  bootstrapFalseNonMatchRates,
  type ScoredPairs,
  type FnmrContrastOptions,
  type FnmrBootstrap,
  type FnmrBootstrapOptions,
} from './fnmr-contrast-interval';
export { claimVerdict, type ClaimVerdict } from './claim-verdict';
export {
  distillationVerdict,
  compareFnmrDifference,
  type DistillationVerdict,
  type FnmrDifference,
  type IntervalComparison,
  type ProtocolDifference,
} from './distillation-verdict';
