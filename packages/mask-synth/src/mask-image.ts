import { assertArgument } from '@bigface/backend/errors';
import { applyNaturalMask } from './apply-natural-mask';
import { applyTexturedMask } from './apply-textured-mask';
import { decodeImage, describeInput, type ImageInput } from './decode-image';
import { encodeImage, type OutputFormat } from './encode-image';
import type { Landmarks } from './face-geometry';
import { maskAugment, type MaskAugmentOptions } from './mask-augment';
import type { MaskMetadata } from './mask-result';

/** Options of {@link maskImage}. */
export interface MaskImageOptions extends MaskAugmentOptions {
  /** Seeds every decision for this image. */
  seed: number;
  /** 5 or 68 landmarks in pixels; optional for 112x112 aligned crops. */
  landmarks?: Landmarks;
  /** 'augment' (default) masks with probability `ratio` by either synthesizer; the others always mask. */
  synthesizer?: 'augment' | 'textured' | 'natural';
  /** Output encoding (default 'jpeg'). */
  format?: OutputFormat;
  /** JPEG / WebP quality (default 92). */
  quality?: number;
  /** Names the input in error messages (default: its path, or "buffer (N bytes)"). */
  inputName?: string;
  /**
   * JPEG codec: 'auto' (default) decodes and encodes small JPEGs (up to 256x256) with libjpeg-turbo in
   * WebAssembly and everything else with sharp; 'sharp' always uses sharp. See {@link decodeImage}.
   */
  codec?: 'auto' | 'sharp';
}

/** An encoded masked image and its mask. */
export interface EncodedMaskResult {
  /** The encoded output image. */
  encoded: Buffer;
  width: number;
  height: number;
  /** Mask coverage 0..255, row-major width x height. */
  alpha: Uint8Array;
  /** null when `synthesizer: 'augment'` left the image unmasked. */
  metadata: MaskMetadata | null;
}

/**
 * Masks one image file or encoded buffer: decode, synthesize on raw pixels, encode (sharp, or
 * libjpeg-turbo in WebAssembly for small JPEGs: see `codec`).
 * For training throughput prefer the raw-pixel functions ({@link maskAugment}, {@link applyTexturedMask},
 * {@link applyNaturalMask}), which skip the encode.
 *
 * @example
 * import { maskImage } from '@bigface/mask-synth';
 * const { encoded, metadata } = await maskImage('aligned/0001.jpg', { seed: 1, synthesizer: 'natural' });
 */
export async function maskImage(input: ImageInput, options: MaskImageOptions): Promise<EncodedMaskResult> {
  const inputName = options.inputName ?? describeInput(input);
  const synthesizer = options.synthesizer ?? 'augment';
  assertArgument(
    ['augment', 'textured', 'natural'].includes(synthesizer),
    'INVALID_ARGUMENT',
    () => `maskImage(${inputName}): unknown synthesizer '${synthesizer}': choose augment, textured, natural`,
  );
  const raw = await decodeImage(input, { inputName, decoder: options.codec });
  const perImage = { seed: options.seed, landmarks: options.landmarks, inputName };
  const result =
    synthesizer === 'textured'
      ? applyTexturedMask(raw, perImage)
      : synthesizer === 'natural'
        ? applyNaturalMask(raw, perImage)
        : maskAugment({ ratio: options.ratio, mix: options.mix })(raw, perImage);
  const encoded = await encodeImage(result.image, { format: options.format, quality: options.quality, encoder: options.codec });
  return { encoded, width: raw.width, height: raw.height, alpha: result.alpha, metadata: result.metadata };
}
