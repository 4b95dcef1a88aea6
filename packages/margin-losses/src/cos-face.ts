import { createMargin, type TargetMargin } from './combined-margin';

export interface CosFaceOptions {
  /** Scale s. Default 64. */
  s?: number;
  /** Additive cosine margin m. Default 0.4 (the BigFace recipe). */
  m?: number;
}

/**
 * CosFace / large margin cosine loss ([Wang et al. 2018](https://arxiv.org/abs/1801.09414)):
 * the target logit becomes `s · (cos θ − m)`, every other logit `s · cos θ`. Rows labelled −1
 * get no margin. Feed the result to {@link maskedSoftmaxCrossEntropy}.
 *
 * @example
 * const margin = cosFace({ s: 64, m: 0.4 });
 * const logits = margin(normalizedCosine(embeddings, centres), labels); // [B, C]
 * const loss = maskedSoftmaxCrossEntropy(logits, labels);
 */
export function cosFace(options: CosFaceOptions = {}): TargetMargin {
  const { s = 64, m = 0.4 } = options;
  return createMargin('cosFace', { s, m1: 1, m2: 0, m3: m }, { m3: 'm' });
}
