/** How each sample is augmented; plain data so workers receive it. */
export interface AugmentOptions {
  /** Seed of all per-sample randomness: sample i of epoch e uses `Rng.derive(seed, e, i)`. */
  seed: number;
  /** Random horizontal flip with probability 0.5 (default true). */
  flip?: boolean;
  /**
   * Masked-face augmentation by `@bigface/mask-synth` (default `{ ratio: 0.35 }` as in the BigFace
   * recipe); `false` turns it off.
   */
  mask?: false | { ratio?: number; mix?: { textured?: number; natural?: number } };
  /** Output size `[height, width]` (default [112, 112]); other sizes are resized. */
  imageSize?: [number, number];
}
