import { IMAGE_RECORD_HEADER_BYTES } from './image-record';

/** What {@link packRecord} packs. */
export interface PackRecordInput {
  /** The single label (ignored in favour of `labels` when those are given). */
  label?: number;
  /** Float labels; when non-empty, flag = labels.length and the header label is 0 (as MXNet does). */
  labels?: ArrayLike<number>;
  id?: number | bigint;
  id2?: number | bigint;
  /** Image bytes (JPEG); empty for header-only records. */
  image?: Uint8Array;
}

/**
 * Packs an IRHeader, labels and image bytes into one RecordIO payload (MXNet `recordio.pack`).
 *
 * @example
 * import { packRecord } from '@bigface/data';
 * const payload = packRecord({ label: 3, id: 7, image: jpegBytes });
 */
export function packRecord(input: PackRecordInput): Buffer {
  const labels = input.labels ?? [];
  const image = input.image ?? new Uint8Array(0);
  const payload = Buffer.alloc(IMAGE_RECORD_HEADER_BYTES + 4 * labels.length + image.length);
  payload.writeUInt32LE(labels.length, 0);
  payload.writeFloatLE(labels.length > 0 ? 0 : (input.label ?? 0), 4);
  payload.writeBigUInt64LE(BigInt(input.id ?? 0), 8);
  payload.writeBigUInt64LE(BigInt(input.id2 ?? 0), 16);
  for (let i = 0; i < labels.length; i++) payload.writeFloatLE(labels[i]!, IMAGE_RECORD_HEADER_BYTES + 4 * i);
  payload.set(image, IMAGE_RECORD_HEADER_BYTES + 4 * labels.length);
  return payload;
}
