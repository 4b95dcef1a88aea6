import type { RawImage } from './raw-image';

/** Which synthesizer made a mask. */
export type SynthesizerName = 'textured' | 'natural';

/** What was drawn, enough to draw it again: the same seed and landmarks give the same pixels. */
export interface MaskMetadata {
  synthesizer: SynthesizerName;
  /** Mask shape: one of MASK_TYPES, or 'surgical' for the natural synthesizer. */
  type: string;
  /** Colour name(s), joined with '+' when a texture uses several. */
  colour: string;
  /** One of MASK_TEXTURES; 'pleats' for the natural synthesizer. */
  texture: string;
  /** The seed the synthesizer ran with. */
  seed: number;
  /** Natural synthesizer only: the top edge as a fraction of the face height (brows to chin), in [0.33, 0.35]. */
  topEdge?: number;
}

/** A masked image, the mask's coverage, and how it was made. */
export interface MaskResult {
  /** A new image of the input's size and channels (the input is not modified). */
  image: RawImage;
  /** Mask coverage per pixel, 0 (face) .. 255 (mask), row-major width x height. */
  alpha: Uint8Array;
  /** null when the image was left unmasked (see maskAugment). */
  metadata: MaskMetadata | null;
}
