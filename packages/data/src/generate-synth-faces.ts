import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { assertArgument } from '@bigface/backend/errors';
import sharp from 'sharp';
import { packRecordDataset, type PackRecordDatasetResult, type PackSample } from './pack-record-dataset';
import { renderSynthFace } from './render-synth-face';
import { createSynthIdentity } from './synth-identity';

/** Options of {@link generateSynthFaces}. */
export interface GenerateSynthFacesOptions {
  /** Number of identities N. */
  identities: number;
  /** Images per identity K. */
  imagesPerIdentity: number;
  /** Where to write `train.rec` (with `train.idx` and `property` beside it); or give `directory`. */
  recordPath?: string;
  /** A folder to write `train.rec`, `train.idx` and `property` into (instead of `recordPath`). */
  directory?: string;
  /** The family seed (default 0): the same seed gives the same files. */
  seed?: number;
  /** JPEG quality (default 90). */
  quality?: number;
  /** Per-sample variation scale (default 1), see {@link renderSynthFace}. */
  variation?: number;
  /** Images encoded at once (default 4). */
  concurrency?: number;
}

/**
 * SynthFaces, the embedded default dataset: renders N identities x K images (112x112, aligned) and
 * packs them with {@link packRecordDataset} into an insightface RecordIO training set, so the rest of
 * BigFace reads it exactly like WebFace42M. Deterministic: same options, same bytes.
 *
 * @example
 * import { generateSynthFaces, RecordDataset } from '@bigface/data';
 * await generateSynthFaces({ identities: 200, imagesPerIdentity: 20, seed: 1, directory: 'synth' });
 * const dataset = RecordDataset.open('synth/train.rec'); // 4000 images, 200 classes
 */
export async function generateSynthFaces(options: GenerateSynthFacesOptions): Promise<PackRecordDatasetResult> {
  const { identities, imagesPerIdentity } = options;
  const seed = options.seed ?? 0;
  const quality = options.quality ?? 90;
  assertArgument(
    Number.isInteger(identities) && identities >= 1,
    'INVALID_ARGUMENT',
    () => `generateSynthFaces: identities must be a positive integer, got ${identities}`,
  );
  assertArgument(
    Number.isInteger(imagesPerIdentity) && imagesPerIdentity >= 1,
    'INVALID_ARGUMENT',
    () => `generateSynthFaces: imagesPerIdentity must be a positive integer, got ${imagesPerIdentity}`,
  );
  assertArgument(
    Number.isInteger(quality) && quality >= 1 && quality <= 100,
    'INVALID_ARGUMENT',
    () => `generateSynthFaces: quality must be an integer in [1, 100], got ${quality}`,
  );
  assertArgument(
    (options.recordPath === undefined) !== (options.directory === undefined),
    'INVALID_ARGUMENT',
    () => 'generateSynthFaces: give exactly one of recordPath (e.g. synth/train.rec) and directory (e.g. synth/)',
  );
  const recordPath = options.recordPath ?? path.join(options.directory!, 'train.rec');
  await mkdir(path.dirname(path.resolve(recordPath)), { recursive: true });
  const total = identities * imagesPerIdentity;
  const samples: PackSample[] = new Array(total);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const position = next++;
      const label = Math.floor(position / imagesPerIdentity);
      const identity = createSynthIdentity(seed, label);
      const { image } = renderSynthFace(identity, { sample: position % imagesPerIdentity, variation: options.variation });
      const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .jpeg({ quality, chromaSubsampling: '4:2:0' })
        .toBuffer();
      samples[position] = { image: jpeg, label };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return packRecordDataset(samples, recordPath, { imageSize: [112, 112] });
}
