import type { MaskFunction } from './mask-function';

/**
 * A masking step given as a module, so that every worker thread can load it: `module` is an absolute
 * path or a `file:` URL of an ES module whose export `exportName` (default `default`) is a
 * {@link MaskFunction}. Each sample is passed to it with probability `ratio` (default 0.35).
 */
export interface MaskModule {
  module: string;
  exportName?: string;
  ratio?: number;
}

/** How each sample is augmented; plain data so workers receive it. */
export interface AugmentOptions {
  /** Seed of all per-sample randomness: sample i of epoch e uses `Rng.derive(seed, e, i)`. */
  seed: number;
  /** Random horizontal flip with probability 0.5 (default true). */
  flip?: boolean;
  /**
   * Masked-face augmentation. `{ ratio?, mix? }`: `@bigface/mask-synth` (the default, `{ ratio: 0.35 }`
   * as in the BigFace recipe); a {@link MaskModule}: your own masking function, loaded in every worker;
   * `false` turns masking off. (An in-process {@link MaskFunction} is a `DataPipeline` option.)
   */
  mask?: false | { ratio?: number; mix?: { textured?: number; natural?: number } } | MaskModule;
  /**
   * Output size `[height, width]` (default [112, 112]). With masking on, flip and mask work on the
   * 112x112 ArcFace crop (images of another size are resized to it first) and the result is resized
   * to `imageSize`; without masking, images are resized to `imageSize` directly.
   */
  imageSize?: [number, number];
}
