import { assertArgument, BigFaceError } from '@bigface/backend/errors';
import { hashSeed } from '@bigface/backend/random';
import { applyNaturalMask } from './apply-natural-mask';
import { applyTexturedMask } from './apply-textured-mask';
import { decodeImage, describeInput, type ImageInput } from './decode-image';
import { encodeImage, type OutputFormat } from './encode-image';
import type { Landmarks } from './face-geometry';
import { maskAugment, type MaskAugmentOptions } from './mask-augment';
import type { MaskMetadata, MaskResult } from './mask-result';
import type { RawImage } from './raw-image';

/**
 * Finds the faces of a photo: landmarks (5 or 68 points, in pixels of the decoded image, EXIF
 * orientation applied) of each face to mask, most important first; `[]` when there is none. This
 * package has no tensors: a detector comes from outside, e.g. `createLandmarkFinder` of @bigface/data.
 */
export type LandmarkFinder = (image: RawImage, context: { inputName: string }) => Promise<readonly Landmarks[]>;

/** Options of {@link maskImage}. */
export interface MaskImageOptions extends MaskAugmentOptions {
  /** Seeds every decision for this image. */
  seed: number;
  /** 5 or 68 landmarks in pixels; optional for 112x112 aligned crops, and for photos with `findLandmarks`. */
  landmarks?: Landmarks;
  /**
   * Called when no `landmarks` are given and the image is not a 112x112 aligned crop (a raw photo):
   * every face it returns is masked (face k with seed `hashSeed(seed, k)` for k > 0); none is an error
   * (`FACE_NOT_FOUND`).
   */
  findLandmarks?: LandmarkFinder;
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
  /** null when `synthesizer: 'augment'` left the image unmasked (the first face's, when found by `findLandmarks`). */
  metadata: MaskMetadata | null;
  /** Only when `findLandmarks` found the faces: each face's landmarks and mask. */
  faces?: { landmarks: Landmarks; metadata: MaskMetadata | null }[];
}

/**
 * Masks one image file or encoded buffer: decode, synthesize on raw pixels, encode (sharp, or
 * libjpeg-turbo in WebAssembly for small JPEGs: see `codec`).
 * A raw photo (not a 112x112 crop) without `landmarks` needs `findLandmarks`, a face detector given from
 * outside (this package has no tensors): every face it finds is masked.
 * For training throughput prefer the raw-pixel functions ({@link maskAugment}, {@link applyTexturedMask},
 * {@link applyNaturalMask}), which skip the encode.
 *
 * @example
 * import { maskImage } from '@bigface/mask-synth';
 * const { encoded, metadata } = await maskImage('aligned/0001.jpg', { seed: 1, synthesizer: 'natural' });
 * // A raw photo: the faces come from a detector (here @bigface/data's).
 * // const masked = await maskImage('group.jpg', { seed: 1, synthesizer: 'natural', findLandmarks: createLandmarkFinder() });
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
  const maskOne = (image: RawImage, seed: number, landmarks: Landmarks | undefined): MaskResult => {
    const perImage = { seed, landmarks, inputName };
    return synthesizer === 'textured'
      ? applyTexturedMask(image, perImage)
      : synthesizer === 'natural'
        ? applyNaturalMask(image, perImage)
        : maskAugment({ ratio: options.ratio, mix: options.mix })(image, perImage);
  };
  const isAlignedCrop = raw.width === 112 && raw.height === 112;
  if (options.landmarks !== undefined || isAlignedCrop || options.findLandmarks === undefined) {
    const result = maskOne(raw, options.seed, options.landmarks);
    const encoded = await encodeImage(result.image, { format: options.format, quality: options.quality, encoder: options.codec });
    return { encoded, width: raw.width, height: raw.height, alpha: result.alpha, metadata: result.metadata };
  }
  const found = await options.findLandmarks(raw, { inputName });
  if (found.length === 0) {
    throw new BigFaceError('FACE_NOT_FOUND', `${inputName}: no face found in this ${raw.width}x${raw.height} photo; pass its landmarks, or leave it out`);
  }
  let image = raw;
  const alpha = new Uint8Array(raw.width * raw.height);
  const faces: { landmarks: Landmarks; metadata: MaskMetadata | null }[] = [];
  found.forEach((landmarks, index) => {
    const result = maskOne(image, index === 0 ? options.seed : hashSeed(options.seed, index), landmarks);
    image = result.image;
    for (let i = 0; i < alpha.length; i++) if (result.alpha[i]! > alpha[i]!) alpha[i] = result.alpha[i]!;
    faces.push({ landmarks, metadata: result.metadata });
  });
  const encoded = await encodeImage(image, { format: options.format, quality: options.quality, encoder: options.codec });
  return { encoded, width: raw.width, height: raw.height, alpha, metadata: faces[0]!.metadata, faces };
}
