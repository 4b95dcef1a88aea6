import { BigFaceError } from '@bigface/backend/errors';
import { IMAGE_RECORD_HEADER_BYTES, type ImageRecord } from './image-record';

/**
 * Splits a RecordIO payload into its IRHeader, labels and image bytes (MXNet `recordio.unpack`).
 *
 * @example
 * import { RecordIoReader, unpackRecord } from '@bigface/data';
 * const { label, image } = unpackRecord(RecordIoReader.open('train.rec').read(1));
 */
export function unpackRecord(payload: Buffer, where = 'record'): ImageRecord {
  if (payload.length < IMAGE_RECORD_HEADER_BYTES) {
    throw new BigFaceError(
      'RECORD_HEADER_TRUNCATED',
      `${where}: payload has ${payload.length} bytes, less than the 24-byte IRHeader; the record is not an insightface image record`,
    );
  }
  const flag = payload.readUInt32LE(0);
  const headerLabel = payload.readFloatLE(4);
  const id = payload.readBigUInt64LE(8);
  const id2 = payload.readBigUInt64LE(16);
  const end = IMAGE_RECORD_HEADER_BYTES + 4 * flag;
  if (end > payload.length) {
    throw new BigFaceError(
      'RECORD_HEADER_TRUNCATED',
      `${where}: IRHeader flag ${flag} announces ${flag} float labels but the payload has only ${payload.length} bytes; the record is corrupt`,
    );
  }
  const labels = new Float32Array(flag);
  for (let i = 0; i < flag; i++) labels[i] = payload.readFloatLE(IMAGE_RECORD_HEADER_BYTES + 4 * i);
  return { flag, label: flag > 0 ? labels[0]! : headerLabel, labels, id, id2, image: payload.subarray(end) };
}
