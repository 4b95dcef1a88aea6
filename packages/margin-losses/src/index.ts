export { combinedMargin, type CombinedMarginOptions, type MarginFunction } from './combined-margin';
export { cosFace, type CosFaceOptions } from './cos-face';
export { arcFace, type ArcFaceOptions } from './arc-face';
export { safeAcos, SAFE_ACOS_EPSILON } from './safe-acos';
export { normalizedCosine } from './normalized-cosine';
export { maskedSoftmaxCrossEntropy } from './masked-softmax-cross-entropy';
export { targetLogits } from './target-logits';
export { topOneAccuracy } from './top-one-accuracy';
export { targetMask } from './target-mask';
