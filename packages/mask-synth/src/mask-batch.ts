import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';
import { hashSeed } from '@bigface/backend/random';
import { describeInput, type ImageInput } from './decode-image';
import type { Landmarks } from './face-geometry';
import { maskImage, type MaskImageOptions } from './mask-image';
import type { MaskMetadata } from './mask-result';

/** One image of a batch. */
export interface MaskBatchItem {
  input: ImageInput;
  landmarks?: Landmarks;
  /** This image's seed (default: `hashSeed(options.seed, index)`). */
  seed?: number;
  /** Where to write the result (default: `outputDirectory/<input's base name>`, or nothing without an outputDirectory). */
  output?: string;
}

/** Options of {@link maskBatch}. */
export interface MaskBatchOptions extends Omit<MaskImageOptions, 'seed' | 'landmarks' | 'inputName'> {
  /** Base seed; item i uses `hashSeed(seed, i)` unless it has its own. */
  seed: number;
  /** Directory for outputs of items without their own `output`. */
  outputDirectory?: string;
  /** Images in flight at once (default 4). */
  concurrency?: number;
}

/** What a batch did: one entry per item that succeeded, one per item that failed. */
export interface MaskBatchReport {
  results: { index: number; input: string; output: string | null; metadata: MaskMetadata | null }[];
  failures: { index: number; input: string; error: BigFaceError }[];
}

/**
 * Masks many images; a bad input (not an image, truncated, bad landmarks, ...) is reported in
 * `failures` and nothing is written for it, and the batch goes on with the others.
 *
 * @example
 * import { maskBatch } from '@bigface/mask-synth';
 * const report = await maskBatch([{ input: 'a.jpg' }, { input: 'b.jpg' }], { seed: 1, synthesizer: 'textured', outputDirectory: 'masked' });
 * for (const failure of report.failures) console.error(failure.input, failure.error.code, failure.error.message);
 */
export async function maskBatch(items: readonly MaskBatchItem[], options: MaskBatchOptions): Promise<MaskBatchReport> {
  const report: MaskBatchReport = { results: [], failures: [] };
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const item = items[index]!;
      const inputName = describeInput(item.input);
      try {
        const seed = item.seed ?? hashSeed(options.seed, index);
        const result = await maskImage(item.input, { ...options, seed, landmarks: item.landmarks, inputName });
        let output: string | null = item.output ?? null;
        if (output === null && options.outputDirectory !== undefined) {
          const base = typeof item.input === 'string' ? path.parse(item.input).name : `image-${index}`;
          output = path.join(options.outputDirectory, `${base}.${options.format === 'png' ? 'png' : options.format === 'webp' ? 'webp' : 'jpg'}`);
        }
        if (output !== null) {
          await mkdir(path.dirname(output), { recursive: true });
          await writeFile(output, result.encoded);
        }
        report.results.push({ index, input: inputName, output, metadata: result.metadata });
      } catch (cause) {
        const error = cause instanceof BigFaceError ? cause : new BigFaceError('MASK_FAILED', `${inputName}: ${String(cause)}`, { cause });
        report.failures.push({ index, input: inputName, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  report.results.sort((a, b) => a.index - b.index);
  report.failures.sort((a, b) => a.index - b.index);
  return report;
}
