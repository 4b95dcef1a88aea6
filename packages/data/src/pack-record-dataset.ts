import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';
import sharp from 'sharp';
import { packRecord } from './pack-record';
import { RecordIoWriter } from './record-io-writer';

/** One image to pack: encoded bytes (JPEG) or a file path, and its identity. */
export interface PackSample {
  image: Uint8Array | string;
  label: number;
}

/** Options of {@link packRecordDataset}. */
export interface PackRecordDatasetOptions {
  /** `[height, width]` written to `property` (default: read from the first image). */
  imageSize?: [number, number];
}

/** What {@link packRecordDataset} wrote. */
export interface PackRecordDatasetResult {
  recordPath: string;
  indexPath: string;
  propertyPath: string;
  numImages: number;
  numClasses: number;
}

/**
 * Writes images to an insightface-compatible RecordIO training set: `train.rec`, `train.idx` and
 * `property` (`numClasses,height,width`). Key 0 is the meta record (flag 2, labels [first identity
 * key, end]); keys 1..N are the images, sorted by label (IRHeader label = identity, id = key); then
 * one record per identity with labels [first image key, end). Labels must be 0..numClasses-1.
 *
 * @example
 * import { packRecordDataset } from '@bigface/data';
 * await packRecordDataset([{ image: 'a/1.jpg', label: 0 }, { image: 'b/1.jpg', label: 1 }], 'out/train.rec');
 */
export async function packRecordDataset(
  samples: Iterable<PackSample> | AsyncIterable<PackSample>,
  recordPath: string,
  options: PackRecordDatasetOptions = {},
): Promise<PackRecordDatasetResult> {
  const items: PackSample[] = [];
  for await (const sample of samples) {
    if (!Number.isInteger(sample.label) || sample.label < 0) {
      throw new BigFaceError(
        'INVALID_LABEL',
        `packRecordDataset: label must be a non-negative integer, got ${sample.label} for ${describe(sample.image, items.length)}`,
      );
    }
    items.push(sample);
  }
  // Stable sort: insightface readers expect each identity's images to be contiguous.
  const order = items.map((_, index) => index).sort((a, b) => items[a]!.label - items[b]!.label || a - b);
  const numClasses = items.length === 0 ? 0 : items[order[order.length - 1]!]!.label + 1;
  const counts = new Int32Array(numClasses);
  for (const item of items) counts[item.label]!++;
  const empty = counts.indexOf(0);
  if (empty >= 0) {
    throw new BigFaceError(
      'INVALID_LABEL',
      `packRecordDataset: identity ${empty} has no images; labels must be 0..${numClasses - 1} without gaps (renumber them)`,
    );
  }
  const indexPath = `${recordPath.replace(/\.rec$/, '')}.idx`;
  const propertyPath = path.join(path.dirname(recordPath), 'property');
  const writer = RecordIoWriter.create(recordPath, indexPath);
  const firstIdentityKey = items.length + 1;
  let imageSize = options.imageSize;
  try {
    writer.write(0, packRecord({ labels: [firstIdentityKey, firstIdentityKey + numClasses] }));
    const starts = new Int32Array(numClasses + 1);
    for (let position = 0; position < order.length; position++) {
      const item = items[order[position]!]!;
      const key = position + 1;
      const bytes = typeof item.image === 'string' ? await readImageFile(item.image) : item.image;
      if (imageSize === undefined) {
        const metadata = await sharp(bytes)
          .metadata()
          .catch((cause: unknown) => {
            throw new BigFaceError(
              'IMAGE_DECODE_FAILED',
              `packRecordDataset: cannot read ${describe(item.image, order[position]!)} as an image: ${String(cause)}`,
              { cause },
            );
          });
        imageSize = [metadata.height ?? 112, metadata.width ?? 112];
      }
      writer.write(key, packRecord({ label: item.label, id: key, image: bytes }));
      starts[item.label + 1] = key + 1;
    }
    for (let label = 0; label < numClasses; label++) {
      const start = label === 0 ? 1 : starts[label]!;
      writer.write(firstIdentityKey + label, packRecord({ labels: [start, starts[label + 1]!], id: firstIdentityKey + label }));
    }
  } finally {
    writer.close();
  }
  imageSize ??= [112, 112];
  await writeFile(propertyPath, `${numClasses},${imageSize[0]},${imageSize[1]}`);
  return { recordPath, indexPath, propertyPath, numImages: items.length, numClasses };
}

async function readImageFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new BigFaceError('IMAGE_NOT_FOUND', `packRecordDataset: cannot read '${file}': ${(cause as Error).message}`, { cause });
  }
}

function describe(image: Uint8Array | string, index: number): string {
  return typeof image === 'string' ? `'${image}'` : `sample ${index}`;
}
