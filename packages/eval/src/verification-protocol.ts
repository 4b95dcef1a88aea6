import { assertArgument, hashSeed } from '@bigface/backend';
import { maskAugment, type RawImage } from '@bigface/mask-synth';

/**
 * The verification protocols of the masked-face benchmarks: `standard` (both faces plain, SFR),
 * `masked` (the second face of each pair masked, the first plain: MFR's "mask-to-nonmask" set) and
 * `masked-both` (both faces masked).
 */
export const VERIFICATION_PROTOCOLS = ['standard', 'masked', 'masked-both'] as const;

/** One of {@link VERIFICATION_PROTOCOLS}. */
export type VerificationProtocol = (typeof VERIFICATION_PROTOCOLS)[number];

/** Masks one face; `seed` decides everything random about the mask. Must not modify `image`. */
export type FaceMasker = (image: RawImage, seed: number) => RawImage;

/** Options of {@link applyVerificationProtocol}. */
export interface ApplyVerificationProtocolOptions {
  /** The masking function; default {@link defaultFaceMasker} (mask-synth, always masking). */
  mask?: FaceMasker;
  /** Seed of the protocol: image k is masked with seed `hashSeed(seed, k)`; default 0. */
  seed?: number;
}

/**
 * mask-synth's `maskAugment` with ratio 1: every face gets a mask, from the textured or the natural
 * synthesizer (half each, chosen by the seed). Expects aligned crops (e.g. 112×112).
 *
 * @example
 * const masked = defaultFaceMasker(face, 7); // a masked copy of `face`
 */
export function defaultFaceMasker(image: RawImage, seed: number): RawImage {
  return maskAugment({ ratio: 1 })(image, { seed }).image;
}

/**
 * The images of a verification set (interleaved pairs: 2i and 2i+1 form pair i) as a protocol sees
 * them: `standard` returns them unchanged; `masked` masks image 2i+1 of every pair and leaves 2i
 * plain (one masked face against one plain face, as MFR's mask-to-nonmask set); `masked-both` masks
 * every image. Deterministic: image k uses seed `hashSeed(seed, k)` whatever the protocol, so image
 * 2i+1 gets the same mask in `masked` and `masked-both`.
 *
 * @example
 * const probes = applyVerificationProtocol(faces, 'masked', { seed: 1 }); // faces: RawImage[], 2 per pair
 */
export function applyVerificationProtocol(
  images: readonly RawImage[],
  protocol: VerificationProtocol,
  options: ApplyVerificationProtocolOptions = {},
): RawImage[] {
  const { mask = defaultFaceMasker, seed = 0 } = options;
  assertArgument(
    (VERIFICATION_PROTOCOLS as readonly string[]).includes(protocol),
    'EVAL_BAD_PROTOCOL',
    () => `applyVerificationProtocol: unknown protocol '${protocol}': choose one of ${VERIFICATION_PROTOCOLS.join(', ')}`,
  );
  assertArgument(
    images.length % 2 === 0,
    'EVAL_BAD_IMAGES',
    () => `applyVerificationProtocol: images must be interleaved pairs (an even count), got ${images.length}`,
  );
  const masked = (index: number): boolean => protocol === 'masked-both' || (protocol === 'masked' && index % 2 === 1);
  return images.map((image, index) => (masked(index) ? mask(image, hashSeed(seed, index)) : image));
}
