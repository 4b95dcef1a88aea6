import { existsSync, readFileSync } from 'node:fs';
import { BigFaceError } from '@bigface/backend/errors';
import type { DatasetSource, EncodedSample } from './dataset-source';
import { RecordIoReader } from './record-io-reader';
import { unpackRecord } from './unpack-record';

/**
 * An insightface training set in RecordIO (`train.rec`, `train.idx`, `property`), as WebFace42M and
 * MS1MV3 ship: record 0 is the meta record (flag 2, labels [first identity record, end]) and the
 * images are keys 1 .. first-1; when record 0 has flag 0, every key is an image.
 *
 * @example
 * import { RecordDataset } from '@bigface/data';
 * const dataset = RecordDataset.open('faces_webface_112x112/train.rec');
 * console.log(dataset.length, dataset.numClasses);
 * const { image, label } = dataset.read(0); // JPEG bytes and identity
 * dataset.close();
 */
export class RecordDataset {
  /** The image record keys, in order; sample i is key `imageKeys[i]`. */
  readonly imageKeys: readonly number[];
  /** Number of identities: from `property` when present, else from the meta record, else null. */
  readonly numClasses: number | null;
  /** Image size `[height, width]` from `property`, when present. */
  readonly imageSize: readonly [number, number] | null;

  private constructor(
    private readonly reader: RecordIoReader,
    imageKeys: number[],
    numClasses: number | null,
    imageSize: [number, number] | null,
  ) {
    this.imageKeys = imageKeys;
    this.numClasses = numClasses;
    this.imageSize = imageSize;
  }

  /** Opens `train.rec` (index `train.idx` and `property` next to it unless given). */
  static open(recordPath: string, options: { indexPath?: string; propertyPath?: string } = {}): RecordDataset {
    const reader = RecordIoReader.open(recordPath, options.indexPath);
    try {
      let imageKeys: number[];
      let numClasses: number | null = null;
      const meta = reader.has(0) ? unpackRecord(reader.read(0), `${recordPath} key 0`) : null;
      if (meta !== null && meta.flag > 0) {
        const first = Math.round(meta.labels[0]!);
        imageKeys = [];
        for (let key = 1; key < first; key++) imageKeys.push(key);
        if (meta.flag >= 2) numClasses = Math.round(meta.labels[1]!) - first;
        const missing = imageKeys.find((key) => !reader.has(key));
        if (missing !== undefined) {
          throw new BigFaceError(
            'RECORD_KEY_NOT_FOUND',
            `${reader.indexPath}: the meta record says images are keys 1..${first - 1} but key ${missing} is not in the index; rebuild the index`,
          );
        }
      } else {
        imageKeys = [...reader.keys];
      }
      const propertyPath = options.propertyPath ?? recordPath.replace(/[^/\\]*$/, 'property');
      let imageSize: [number, number] | null = null;
      if (existsSync(propertyPath)) {
        const fields = readFileSync(propertyPath, 'utf8').trim().split(',').map(Number);
        if (fields.length !== 3 || !fields.every((value) => Number.isInteger(value) && value > 0)) {
          throw new BigFaceError(
            'PROPERTY_INVALID',
            `${propertyPath}: expected 'numClasses,height,width', got '${readFileSync(propertyPath, 'utf8').trim().slice(0, 40)}'`,
          );
        }
        numClasses = fields[0]!;
        imageSize = [fields[1]!, fields[2]!];
      }
      return new RecordDataset(reader, imageKeys, numClasses, imageSize);
    } catch (error) {
      reader.close();
      throw error;
    }
  }

  /** Number of images. */
  get length(): number {
    return this.imageKeys.length;
  }

  /** The source description workers use to open the same file. */
  get source(): DatasetSource {
    return { format: 'recordio', recordPath: this.reader.recordPath, indexPath: this.reader.indexPath };
  }

  /** Sample `index`: image bytes and integer label. */
  read(index: number): EncodedSample {
    const key = this.imageKeys[index];
    if (key === undefined) {
      throw new BigFaceError('INDEX_OUT_OF_RANGE', `${this.reader.recordPath}: sample index ${index} is out of range [0, ${this.length})`);
    }
    const origin = `${this.reader.recordPath} key ${key} (offset ${this.reader.offsetOf(key)})`;
    const record = unpackRecord(this.reader.read(key), origin);
    return { image: record.image, label: Math.round(record.label), origin };
  }

  /** Closes the file. */
  close(): void {
    this.reader.close();
  }
}
