import { assertArgument, tf } from '@bigface/backend';
import { assertLabels } from './assert-labels';
import { targetMask } from './target-mask';
import { safeAcos } from './safe-acos';

/**
 * A margin: takes cosine logits [B, C] (values in [−1, 1]) and int32 labels [B], and returns the
 * scaled logits [B, C] with the margin applied to each row's target logit only. A label of −1
 * means "no target among these C classes" (an unlabeled row, or a row whose class lives in
 * another shard): that row is only scaled. The C columns may be a shard of all the classes, with
 * labels re-based to the shard's first class — that is how PartialFC calls it.
 */
export type MarginFunction = (cosineLogits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Tensor2D;

/**
 * The contract a sharded softmax (PartialFC) relies on, as a type: a margin that changes each row's
 * target logit as a function of that row's target cosine only, and scales every other logit by one
 * number `scale`. `targetLogit` maps target cosines [B, 1] to target logits [B, 1] (differentiably);
 * the margin itself stays callable on a whole [B, C] matrix. CosFace, ArcFace and the combined
 * margin are TargetMargins; a margin whose other logits depend on the row (AdaFace-like feature-norm
 * scaling) is not one, and PartialFC refuses a plain MarginFunction rather than guess.
 */
export interface TargetMargin extends MarginFunction {
  /** s: every non-target logit is s · cos θ. */
  readonly scale: number;
  /** The margined target logits of target cosines [B, 1] → [B, 1]. */
  targetLogit(targetCosine: tf.Tensor2D): tf.Tensor2D;
}

export interface CombinedMarginOptions {
  /** Scale (feature norm) s applied to every logit. Default 64. */
  s?: number;
  /** Multiplicative angular margin (SphereFace-style, cos(m1·θ)). Default 1 (none). */
  m1?: number;
  /** Additive angular margin (ArcFace, cos(θ + m2)). Default 0. */
  m2?: number;
  /** Additive cosine margin (CosFace, cos θ − m3). Default 0. */
  m3?: number;
}

function assertFinite(op: string, name: string, value: number): void {
  assertArgument(Number.isFinite(value), 'INVALID_ARGUMENT', () => `${op}: ${name} must be a finite number, got ${value}`);
}

/**
 * The combined margin of ArcFace ([Deng et al. 2019](https://arxiv.org/abs/1801.07698), Eq. 4):
 * the target logit becomes `s · (cos(m1·θ + m2) − m3)` with θ = acos(cos θ), every other logit
 * `s · cos θ`. `m1 = 1, m2 = 0` is CosFace (computed without the acos, so exactly `cos θ − m3`);
 * `m1 = 1, m3 = 0` is ArcFace, whose gradient flows through the acos (guarded at ±1 by
 * {@link safeAcos}), as in insightface's arcface_torch reference.
 *
 * Unlike arcface_torch's `CombinedMarginLoss`, which ignores m2 whenever m3 > 0, all three margins
 * apply together here. There is no "easy margin" fallback for θ + m2 > π, as in arcface_torch.
 * `m1 ≠ 1` is the plain cos(m1·θ) of the combined formula, not SphereFace's monotonic ψ(θ).
 *
 * @example
 * const margin = combinedMargin({ s: 64, m1: 1, m2: 0.3, m3: 0.2 });
 * const cosine = tf.tensor2d([[0.8, 0.1], [0.2, 0.5]]);
 * margin(cosine, tf.tensor1d([0, -1], 'int32')).print();
 * // [[64·(cos(acos(0.8) + 0.3) − 0.2), 6.4], [12.8, 32]]
 */
export function combinedMargin(options: CombinedMarginOptions = {}): TargetMargin {
  return createMargin('combinedMargin', options);
}

/** {@link combinedMargin} whose errors name `op` (cosFace, arcFace) and its own option names. */
export function createMargin(op: string, options: CombinedMarginOptions, optionNames: Partial<Record<keyof CombinedMarginOptions, string>> = {}): TargetMargin {
  const { s = 64, m1 = 1, m2 = 0, m3 = 0 } = options;
  const name = (key: keyof CombinedMarginOptions) => optionNames[key] ?? key;
  assertFinite(op, name('s'), s);
  assertFinite(op, name('m1'), m1);
  assertFinite(op, name('m2'), m2);
  assertFinite(op, name('m3'), m3);
  assertArgument(s > 0, 'INVALID_ARGUMENT', () => `${op}: ${name('s')} must be positive, got ${s}`);
  assertArgument(m1 > 0, 'INVALID_ARGUMENT', () => `${op}: ${name('m1')} must be positive (1 for none), got ${m1}`);
  const angular = m1 !== 1 || m2 !== 0;
  /** cos(m1·θ + m2) − m3 of target cosines (any shape). */
  const marginOf = (target: tf.Tensor): tf.Tensor => {
    const withMargin = angular ? tf.cos(tf.add(tf.mul(safeAcos(target), m1), m2)) : target;
    return m3 !== 0 ? tf.sub(withMargin, m3) : withMargin;
  };
  const margin = (cosineLogits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor2D => {
    assertLabels(op, cosineLogits, labels);
    return tf.tidy(() => {
      const classes = cosineLogits.shape[1];
      // One-hot of −1 is an all-zero row: such rows get no margin and a (unused) target of 0.
      const mask = targetMask(labels, classes);
      const target = tf.sum(tf.mul(cosineLogits, mask), 1) as tf.Tensor1D;
      // Only the B target values go through acos; the B×C matrix gets one fused shift.
      const shift = tf.expandDims(tf.sub(marginOf(target), target), 1);
      return tf.mul(tf.add(cosineLogits, tf.mul(mask, shift)), s);
    });
  };
  return Object.assign(margin, {
    scale: s,
    // The target entry of the matrix form: s · (t + (margin(t) − t)), the same arithmetic.
    targetLogit: (targetCosine: tf.Tensor2D): tf.Tensor2D =>
      tf.tidy(() => tf.mul(tf.add(targetCosine, tf.sub(marginOf(targetCosine), targetCosine)), s) as tf.Tensor2D),
  });
}

/** Whether `margin` carries the {@link TargetMargin} contract (`scale` and `targetLogit`). */
export function isTargetMargin(margin: MarginFunction): margin is TargetMargin {
  const candidate = margin as Partial<TargetMargin>;
  return typeof candidate.targetLogit === 'function' && typeof candidate.scale === 'number' && Number.isFinite(candidate.scale);
}
