import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { BigFaceError } from '@bigface/backend/errors';
import { LENGTH_MASK, paddedLength, RECORD_MAGIC } from './record-io-format';

/**
 * Random access to an MXNet RecordIO file (`.rec`) through its index (`.idx`, lines `key\toffset`).
 * Records that dmlc split where the magic word occurred in the payload (continuation flags 1, 2, 3)
 * are joined back with the magic re-inserted between parts, as `MXRecordIO.read` does.
 *
 * Reads are synchronous (`readSync` on one file descriptor): they are small, random and made from
 * worker threads, where a promise per record costs more than the read.
 *
 * @example
 * import { RecordIoReader } from '@bigface/data';
 * const reader = RecordIoReader.open('train.rec', 'train.idx');
 * const payload = reader.read(reader.keys[1]!); // Buffer
 * reader.close();
 */
export class RecordIoReader {
  /** Keys in index order. */
  readonly keys: readonly number[];
  private readonly offsets: Map<number, number>;
  private fileDescriptor: number | null;
  private readonly header = Buffer.alloc(8);

  private constructor(
    readonly recordPath: string,
    readonly indexPath: string,
    keys: number[],
    offsets: Map<number, number>,
    fileDescriptor: number,
    /** Size of the `.rec` file in bytes. */
    readonly fileSize: number,
  ) {
    this.keys = keys;
    this.offsets = offsets;
    this.fileDescriptor = fileDescriptor;
  }

  /** Opens `recordPath` with the index at `indexPath` (default: the same name with `.idx`). */
  static open(recordPath: string, indexPath = `${recordPath.replace(/\.rec$/, '')}.idx`): RecordIoReader {
    const { keys, offsets } = readIndex(indexPath);
    let fileDescriptor: number;
    try {
      fileDescriptor = openSync(recordPath, 'r');
    } catch (cause) {
      throw new BigFaceError(
        'RECORD_FILE_NOT_FOUND',
        `RecordIoReader: cannot open '${recordPath}': ${(cause as Error).message}; pass the path of an existing .rec file`,
        { cause },
      );
    }
    return new RecordIoReader(recordPath, indexPath, keys, offsets, fileDescriptor, fstatSync(fileDescriptor).size);
  }

  /** True when the index has `key`. */
  has(key: number): boolean {
    return this.offsets.has(key);
  }

  /** Byte offset of `key`'s record in the `.rec` file. */
  offsetOf(key: number): number {
    const offset = this.offsets.get(key);
    if (offset === undefined) {
      throw new BigFaceError(
        'RECORD_KEY_NOT_FOUND',
        `${this.indexPath}: no key ${key} in the index (${this.keys.length} keys); check the key, or rebuild the index`,
      );
    }
    return offset;
  }

  /** The payload of record `key`, parts joined. */
  read(key: number): Buffer {
    return this.readAt(this.offsetOf(key), `key ${key}`);
  }

  /** The payload of the record starting at byte `offset`. */
  readAt(offset: number, what = `offset ${offset}`): Buffer {
    if (this.fileDescriptor === null) throw new BigFaceError('READER_CLOSED', `${this.recordPath}: the reader is closed; open a new one`);
    const parts: Buffer[] = [];
    let position = offset;
    for (;;) {
      if (position + 8 > this.fileSize) {
        throw new BigFaceError(
          position === offset ? 'RECORD_OFFSET_OUT_OF_RANGE' : 'RECORD_TRUNCATED',
          position === offset
            ? `${this.recordPath}: ${what} points at offset ${offset}, past the end of the file (${this.fileSize} bytes); the .idx does not belong to this .rec, rebuild it`
            : `${this.recordPath}: record ${what} is truncated at offset ${position} (file has ${this.fileSize} bytes); the file was cut short, copy it again`,
        );
      }
      readSync(this.fileDescriptor, this.header, 0, 8, position);
      const magic = this.header.readUInt32LE(0);
      if (magic !== RECORD_MAGIC) {
        throw new BigFaceError(
          'RECORD_BAD_MAGIC',
          `${this.recordPath}: bad magic 0x${magic.toString(16).padStart(8, '0')} at offset ${position} (${what}), expected 0xced7230a; the file is not RecordIO or the .idx is stale`,
        );
      }
      const word = this.header.readUInt32LE(4);
      const flag = word >>> 29;
      const length = word & LENGTH_MASK;
      if (position + 8 + length > this.fileSize) {
        throw new BigFaceError(
          'RECORD_TRUNCATED',
          `${this.recordPath}: record ${what} at offset ${position} declares ${length} bytes but the file ends after ${this.fileSize - position - 8}; the file was cut short, copy it again`,
        );
      }
      const part = Buffer.allocUnsafe(length);
      if (length > 0) readSync(this.fileDescriptor, part, 0, length, position + 8);
      const expected = parts.length === 0 ? [0, 1] : [2, 3];
      if (!expected.includes(flag)) {
        throw new BigFaceError(
          'RECORD_BAD_CONTINUATION',
          `${this.recordPath}: continuation flag ${flag} at offset ${position} (${what}), expected ${expected.join(' or ')}; the file is corrupt`,
        );
      }
      parts.push(part);
      position += 8 + paddedLength(length);
      if (flag === 0 || flag === 3) break;
    }
    if (parts.length === 1) return parts[0]!;
    const magic = Buffer.alloc(4);
    magic.writeUInt32LE(RECORD_MAGIC, 0);
    const joined: Buffer[] = [];
    parts.forEach((part, index) => {
      if (index > 0) joined.push(magic);
      joined.push(part);
    });
    return Buffer.concat(joined);
  }

  /** Closes the file; further reads throw READER_CLOSED. */
  close(): void {
    if (this.fileDescriptor !== null) closeSync(this.fileDescriptor);
    this.fileDescriptor = null;
  }
}

function readIndex(indexPath: string): { keys: number[]; offsets: Map<number, number> } {
  let text: string;
  try {
    text = readFileSync(indexPath, 'utf8');
  } catch (cause) {
    throw new BigFaceError(
      'RECORD_INDEX_NOT_FOUND',
      `RecordIoReader: cannot read the index '${indexPath}': ${(cause as Error).message}; pass the .idx next to the .rec`,
      { cause },
    );
  }
  const keys: number[] = [];
  const offsets = new Map<number, number>();
  const lines = text.split('\n');
  for (let lineNumber = 0; lineNumber < lines.length; lineNumber++) {
    const line = lines[lineNumber]!.trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    const key = Number(fields[0]);
    const offset = Number(fields[1]);
    if (fields.length !== 2 || !Number.isSafeInteger(key) || !Number.isSafeInteger(offset) || offset < 0) {
      throw new BigFaceError(
        'RECORD_INDEX_INVALID',
        `${indexPath}:${lineNumber + 1}: expected 'key<TAB>offset', got '${line.slice(0, 60)}'; rebuild the index`,
      );
    }
    if (!offsets.has(key)) keys.push(key);
    offsets.set(key, offset);
  }
  return { keys, offsets };
}
