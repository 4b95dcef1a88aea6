/** Raw interleaved RGB pixels, row-major, as the pipeline holds them before normalisation. */
export interface RawRgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

/** What a {@link MaskFunction} knows about the sample it masks. */
export interface MaskContext {
  /** The sample's own seed (from `Rng.derive(seed, epoch, index)`): use it for every random choice. */
  seed: number;
  /** Where the sample came from (file and key), for error messages. */
  origin: string;
}

/**
 * The masking seam of {@link DataPipeline}: a function on raw RGB pixels that returns the masked
 * pixels (same size; it may write into `image.data` and return it). It is called only for the samples
 * chosen at the pipeline's mask `ratio`, and must be deterministic in `context.seed` so that batches
 * do not depend on the number of workers. Pass it as `mask: { apply, ratio }` with `workers: 0`, or
 * put it in a module and pass `mask: { module, ratio }` to run it in worker threads.
 *
 * @example
 * import { DataPipeline } from '@bigface/data';
 * // Blacks out the lower third of every second image.
 * const apply = ({ data, width, height }) => data.fill(0, Math.floor((height * 2) / 3) * width * 3);
 * const pipeline = new DataPipeline({ source, sampler, seed: 1, workers: 0, mask: { apply, ratio: 0.5 } });
 */
export type MaskFunction = (image: RawRgbImage, context: MaskContext) => Uint8Array;

/** The in-process form of the masking seam: `mask: { apply, ratio }` (only with `workers: 0`). */
export interface MaskFunctionOption {
  apply: MaskFunction;
  /** Probability that a sample is passed to `apply` (default 0.35). */
  ratio?: number;
}
