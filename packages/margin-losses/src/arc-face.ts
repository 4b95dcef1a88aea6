import { createMargin, type TargetMargin } from './combined-margin';

export interface ArcFaceOptions {
  /** Scale s. Default 64. */
  s?: number;
  /** Additive angular margin m, in radians. Default 0.5. */
  m?: number;
}

/**
 * ArcFace / additive angular margin ([Deng et al. 2019](https://arxiv.org/abs/1801.07698)): the
 * target logit becomes `s · cos(θ + m)`, every other logit `s · cos θ`. The gradient flows through
 * θ = acos(cos θ) (as in insightface's arcface_torch reference), with the acos derivative kept
 * finite at cos θ = ±1 by {@link safeAcos}. Rows labelled −1 get no margin.
 *
 * @example
 * const margin = arcFace({ s: 64, m: 0.5 });
 * const logits = margin(normalizedCosine(embeddings, centres), labels); // [B, C]
 * const loss = maskedSoftmaxCrossEntropy(logits, labels);
 */
export function arcFace(options: ArcFaceOptions = {}): TargetMargin {
  const { s = 64, m = 0.5 } = options;
  return createMargin('arcFace', { s, m1: 1, m2: m, m3: 0 }, { m2: 'm' });
}
