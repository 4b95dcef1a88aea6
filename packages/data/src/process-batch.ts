import { BigFaceError, isBigFaceError } from '@bigface/backend/errors';
import { Rng } from '@bigface/backend/random';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { maskAugment } from '@bigface/mask-synth';
import sharp, { type OutputInfo } from 'sharp';
import type { AugmentOptions, MaskModule } from './augment-options';
import type { MaskFunction, MaskFunctionOption } from './mask-function';
import type { SampleReader } from './sample-reader';

/** One sample that could not be used, in "skip" mode. */
export interface SkippedSample {
  index: number;
  origin: string;
  code: string;
  message: string;
}

/** The raw output of one batch (before it becomes a {@link Batch}). Internal. */
export interface ProcessedBatch {
  images: Float32Array;
  labels: Int32Array;
  indices: Int32Array;
  skipped: SkippedSample[];
}

/** Augment options as the batch processor takes them: the in-process mask function is allowed here. Internal. */
export type ProcessorOptions = Omit<AugmentOptions, 'mask'> & { mask?: AugmentOptions['mask'] | MaskFunctionOption };

/** Masks one decoded image (or returns it unchanged) from the sample's mask seed. */
type Masker = (data: Uint8Array, seed: number, origin: string) => Uint8Array;

/** A configured batch processor: decode → flip → mask → normalise, per-sample seeded. Internal. */
export function createBatchProcessor(reader: SampleReader, options: ProcessorOptions, onError: 'throw' | 'skip') {
  const [height, width] = options.imageSize ?? [112, 112];
  const flip = options.flip ?? true;
  const pixels = height * width * 3;
  // Flip and mask work on the 112x112 ArcFace crop whenever masking is on (the synthesizers place
  // masks by the crop's template); the result is resized to `imageSize` afterwards.
  const [workHeight, workWidth] = options.mask === false ? [height, width] : [112, 112];
  const resizeAfterMask = workHeight !== height || workWidth !== width;
  // Loaded once, on the first batch (a mask module is imported asynchronously).
  let masker: Promise<Masker | null> | null = null;

  const processSample = async (
    mask: Masker | null,
    epoch: number,
    index: number,
    output: Float32Array,
    offset: number,
    origins: string[],
    position: number,
  ): Promise<number> => {
    const sample = reader.read(index);
    origins[position] = sample.origin;
    let decoded: { data: Buffer; info: OutputInfo };
    try {
      decoded = await sharp(sample.image).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      if (decoded.info.width !== workWidth || decoded.info.height !== workHeight || decoded.info.channels !== 3) {
        decoded = await resizeRaw(decoded.data, decoded.info.width, decoded.info.height, decoded.info.channels, workWidth, workHeight);
      }
    } catch (cause) {
      throw new BigFaceError(
        'IMAGE_DECODE_FAILED',
        `${sample.origin}: cannot decode the image (${(cause as Error).message}); the bytes are not a JPEG/PNG or are truncated`,
        { cause },
      );
    }
    let data: Uint8Array = decoded.data;
    const rng = Rng.derive(options.seed, epoch, index);
    if (flip && rng.bernoulli(0.5)) data = flipHorizontal(data, workWidth, workHeight);
    const maskSeed = rng.nextUint32();
    if (mask !== null) data = mask(data, maskSeed, sample.origin);
    if (resizeAfterMask) data = (await resizeRaw(data, workWidth, workHeight, 3, width, height)).data;
    // (x / 255 - 0.5) / 0.5
    for (let i = 0; i < pixels; i++) output[offset + i] = data[i]! / 127.5 - 1;
    return sample.label;
  };

  return async (epoch: number, indices: Int32Array): Promise<ProcessedBatch> => {
    masker ??= createMasker(options.mask, workWidth, workHeight);
    const mask = await masker;
    const images = new Float32Array(indices.length * pixels);
    const labels = new Int32Array(indices.length);
    const ok = new Uint8Array(indices.length);
    const skipped: SkippedSample[] = [];
    const failures: (unknown | undefined)[] = new Array(indices.length);
    const origins: string[] = new Array(indices.length);
    await Promise.all(
      Array.from(indices, async (index, position) => {
        try {
          labels[position] = await processSample(mask, epoch, index, images, position * pixels, origins, position);
          ok[position] = 1;
        } catch (error) {
          failures[position] = error;
        }
      }),
    );
    for (let position = 0; position < indices.length; position++) {
      const error = failures[position];
      if (error === undefined) continue;
      if (onError === 'throw') throw error;
      skipped.push({
        index: indices[position]!,
        origin: origins[position] ?? `sample ${indices[position]}`,
        code: isBigFaceError(error) ? error.code : 'SAMPLE_FAILED',
        message: error instanceof Error ? error.message : String(error),
      });
    }
    if (skipped.length === 0) return { images, labels, indices: Int32Array.from(indices), skipped };
    // Compact the good samples to the front, keeping their order.
    const kept = ok.reduce((sum, flag) => sum + flag, 0);
    const keptImages = new Float32Array(kept * pixels);
    const keptLabels = new Int32Array(kept);
    const keptIndices = new Int32Array(kept);
    let next = 0;
    for (let position = 0; position < indices.length; position++) {
      if (!ok[position]) continue;
      keptImages.set(images.subarray(position * pixels, (position + 1) * pixels), next * pixels);
      keptLabels[next] = labels[position]!;
      keptIndices[next] = indices[position]!;
      next++;
    }
    return { images: keptImages, labels: keptLabels, indices: keptIndices, skipped };
  };
}

/** Raw pixels resized (bilinear, aspect ignored) to `width` x `height` RGB. */
function resizeRaw(
  data: Uint8Array,
  fromWidth: number,
  fromHeight: number,
  channels: number,
  width: number,
  height: number,
): Promise<{ data: Buffer; info: OutputInfo }> {
  return sharp(data, { raw: { width: fromWidth, height: fromHeight, channels: channels as 1 | 2 | 3 | 4 } })
    .removeAlpha()
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
}

async function createMasker(option: ProcessorOptions['mask'], width: number, height: number): Promise<Masker | null> {
  if (option === false) return null;
  if (option === undefined || !('apply' in option || 'module' in option)) {
    const augmenter = maskAugment({ ratio: option?.ratio ?? 0.35, mix: option?.mix });
    return (data, seed, origin) => augmenter({ data, width, height, channels: 3 }, { seed, inputName: origin }).image.data;
  }
  const ratio = option.ratio ?? 0.35;
  if (!(ratio >= 0 && ratio <= 1)) throw new BigFaceError('INVALID_ARGUMENT', `DataPipeline: mask.ratio must be in [0, 1], got ${ratio}`);
  const apply = 'apply' in option ? option.apply : await loadMaskModule(option);
  const pixels = width * height * 3;
  return (data, seed, origin) => {
    // The mask seed decides both whether and how: the same sample is masked alike on any thread.
    if (!new Rng(seed).bernoulli(ratio)) return data;
    const masked = apply({ data, width, height, channels: 3 }, { seed, origin });
    if (!(masked instanceof Uint8Array) || masked.length !== pixels) {
      throw new BigFaceError(
        'MASK_FUNCTION_INVALID',
        `${origin}: the mask function returned ${masked instanceof Uint8Array ? `${masked.length} bytes` : typeof masked}; return the masked RGB pixels as a Uint8Array of ${width}x${height}x3 = ${pixels} bytes`,
      );
    }
    return masked;
  };
}

async function loadMaskModule(option: MaskModule): Promise<MaskFunction> {
  const exportName = option.exportName ?? 'default';
  const specifier = option.module.startsWith('file:') ? option.module : pathToFileURL(path.resolve(option.module)).href;
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(specifier)) as Record<string, unknown>;
  } catch (cause) {
    throw new BigFaceError(
      'MASK_MODULE_INVALID',
      `mask module ${option.module}: cannot import it (${(cause as Error).message}); give an absolute path or file: URL of an ES module`,
      { cause },
    );
  }
  const apply = loaded[exportName];
  if (typeof apply !== 'function') {
    throw new BigFaceError(
      'MASK_MODULE_INVALID',
      `mask module ${option.module}: export '${exportName}' is ${typeof apply}, not a function; export your MaskFunction as '${exportName}' or set mask.exportName`,
    );
  }
  return apply as MaskFunction;
}

function flipHorizontal(data: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const from = row + x * 3;
      const to = row + (width - 1 - x) * 3;
      out[to] = data[from]!;
      out[to + 1] = data[from + 1]!;
      out[to + 2] = data[from + 2]!;
    }
  }
  return out;
}
