import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { BigFaceError } from '@bigface/backend/errors';
import { paddedLength, RECORD_MAGIC } from './record-io-format';

/**
 * Writes an MXNet RecordIO file and its index, byte-compatible with `MXIndexedRecordIO`: a payload that
 * contains the magic word at a 4-byte-aligned position is split there into parts with continuation
 * flags 1 (first), 2 (middle) and 3 (last), as dmlc-core's writer does.
 *
 * @example
 * import { RecordIoWriter, packRecord } from '@bigface/data';
 * const writer = RecordIoWriter.create('train.rec', 'train.idx');
 * writer.write(1, packRecord({ label: 0, image: jpegBytes }));
 * writer.close(); // writes train.idx
 */
export class RecordIoWriter {
  private fileDescriptor: number | null;
  private position = 0;
  private readonly index: string[] = [];
  private readonly seen = new Set<number>();

  private constructor(
    readonly recordPath: string,
    readonly indexPath: string,
    fileDescriptor: number,
  ) {
    this.fileDescriptor = fileDescriptor;
  }

  /** Creates (truncates) `recordPath`; the index goes to `indexPath` (default: same name, `.idx`) on close. */
  static create(recordPath: string, indexPath = `${recordPath.replace(/\.rec$/, '')}.idx`): RecordIoWriter {
    return new RecordIoWriter(recordPath, indexPath, openSync(recordPath, 'w'));
  }

  /** Appends `payload` under `key`; returns the record's byte offset. */
  write(key: number, payload: Uint8Array): number {
    if (this.fileDescriptor === null) throw new BigFaceError('WRITER_CLOSED', `${this.recordPath}: the writer is closed; create a new one`);
    if (!Number.isSafeInteger(key) || key < 0)
      throw new BigFaceError('INVALID_ARGUMENT', `RecordIoWriter.write: key must be a non-negative integer, got ${key}`);
    if (this.seen.has(key)) throw new BigFaceError('RECORD_DUPLICATE_KEY', `${this.recordPath}: key ${key} was already written; keys must be unique`);
    if (payload.length >= 2 ** 29)
      throw new BigFaceError('RECORD_TOO_LARGE', `${this.recordPath}: key ${key} has ${payload.length} bytes; RecordIO records must be under 512 MiB`);
    this.seen.add(key);
    const offset = this.position;
    // Split where the magic occurs at an aligned position (dmlc RecordIOWriter::WriteRecord).
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const alignedEnd = payload.length & ~3;
    let start = 0;
    let flag = 0;
    for (let i = 0; i < alignedEnd; i += 4) {
      if (view.getUint32(i, true) === RECORD_MAGIC) {
        this.writePart(payload.subarray(start, i), start === 0 ? 1 : 2);
        flag = 3;
        start = i + 4;
      }
    }
    this.writePart(payload.subarray(start), flag);
    this.index.push(`${key}\t${offset}\n`);
    return offset;
  }

  private writePart(part: Uint8Array, flag: number): void {
    const padded = paddedLength(part.length);
    const buffer = Buffer.alloc(8 + padded);
    buffer.writeUInt32LE(RECORD_MAGIC, 0);
    buffer.writeUInt32LE(((flag << 29) | part.length) >>> 0, 4);
    buffer.set(part, 8);
    writeSync(this.fileDescriptor!, buffer, 0, buffer.length, this.position);
    this.position += buffer.length;
  }

  /** Closes the `.rec` and writes the `.idx`. */
  close(): void {
    if (this.fileDescriptor === null) return;
    closeSync(this.fileDescriptor);
    this.fileDescriptor = null;
    writeFileSync(this.indexPath, this.index.join(''));
  }
}
