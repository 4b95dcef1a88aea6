import { assertArgument } from '@bigface/backend/errors';
import { Rng } from '@bigface/backend/random';
import { applyNaturalMask } from './apply-natural-mask';
import { applyTexturedMask } from './apply-textured-mask';
import type { Landmarks } from './face-geometry';
import type { MaskResult, SynthesizerName } from './mask-result';
import { assertRawImage, type RawImage } from './raw-image';

/** Options of {@link maskAugment}. */
export interface MaskAugmentOptions {
  /** Probability that an image is masked; the deck samples masked images at 0.35. */
  ratio?: number;
  /** Relative weights of the two synthesizers among masked images (default: half each). */
  mix?: Partial<Record<SynthesizerName, number>>;
}

/** Per-image input of the function {@link maskAugment} returns. */
export interface MaskAugmentInput {
  /** The image's own seed, e.g. `hashSeed(runSeed, epoch, sampleIndex)`: decides everything for this image. */
  seed: number;
  /** 5 or 68 landmarks in pixels; optional for 112x112 aligned crops. */
  landmarks?: Landmarks;
  /** Names the input in error messages. */
  inputName?: string;
}

/** A configured augmenter: call it once per image. */
export type MaskAugmenter = (image: RawImage, input: MaskAugmentInput) => MaskResult;

/**
 * Masked-face augmentation as in the BigFace recipe: each image is masked with probability `ratio`
 * (0.35), by the textured or the natural synthesizer in proportion `mix`. Every decision comes from the
 * image's own seed, so the result does not depend on order, thread or what else ran: the data loader's
 * workers can call it concurrently. An unmasked image comes back as a copy with an all-zero alpha and
 * `metadata: null`.
 *
 * @example
 * import { maskAugment } from '@bigface/mask-synth';
 * import { hashSeed } from '@bigface/backend/random';
 * const augment = maskAugment({ ratio: 0.35, mix: { textured: 1, natural: 1 } });
 * const { image, alpha, metadata } = augment(raw, { seed: hashSeed(42, epoch, index) });
 */
export function maskAugment(options: MaskAugmentOptions = {}): MaskAugmenter {
  const ratio = options.ratio ?? 0.35;
  assertArgument(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1, 'INVALID_ARGUMENT', () => `maskAugment: ratio must be in [0, 1], got ${ratio}`);
  const mix = options.mix ?? {};
  for (const key of Object.keys(mix)) {
    assertArgument(
      key === 'textured' || key === 'natural',
      'INVALID_ARGUMENT',
      () => `maskAugment: unknown synthesizer '${key}' in mix: choose textured, natural`,
    );
  }
  const weights = [mix.textured ?? (mix.natural === undefined ? 1 : 0), mix.natural ?? (mix.textured === undefined ? 1 : 0)];
  assertArgument(
    weights.every((w) => Number.isFinite(w) && w >= 0) && weights[0]! + weights[1]! > 0,
    'INVALID_ARGUMENT',
    () => `maskAugment: mix weights must be >= 0 and not all zero, got ${JSON.stringify(mix)}`,
  );
  return (image, input) => {
    const inputName = input.inputName ?? 'image';
    assertRawImage(image, inputName);
    assertArgument(Number.isInteger(input.seed), 'INVALID_SEED', () => `maskAugment(${inputName}): seed must be an integer, got ${input.seed}`);
    const rng = new Rng(input.seed);
    const masked = rng.bernoulli(ratio);
    const synthesizer = rng.weightedIndex(weights) === 0 ? 'textured' : 'natural';
    const seed = rng.nextUint32();
    if (!masked) {
      return { image: { ...image, data: new Uint8Array(image.data) }, alpha: new Uint8Array(image.width * image.height), metadata: null };
    }
    const synthesizerOptions = { seed, landmarks: input.landmarks, inputName };
    return synthesizer === 'textured' ? applyTexturedMask(image, synthesizerOptions) : applyNaturalMask(image, synthesizerOptions);
  };
}
