import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { referenceFile, temporaryDirectory, tinyRecIndex, tinyRecProperty, tinyRecReference } from '../test/reference';
import { RecordIoReader } from './record-io-reader';
import { unpackRecord } from './unpack-record';

const recordPath = referenceFile('tiny.rec');

/** One dmlc RecordIO part, written from the format alone: magic, (flag << 29 | length), data padded to 4 bytes. */
function part(flag: number, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(0xced7230a, 0);
  header.writeUInt32LE(((flag << 29) | data.length) >>> 0, 4);
  return Buffer.concat([header, data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
}

describe('RecordIoReader', () => {
  it('reads every record of tiny.rec: the keys of tiny.idx, the labels and JPEG sizes of tiny-rec.json, whole JPEGs', async () => {
    const reference = tinyRecReference();
    const { width, height } = tinyRecProperty();
    const reader = RecordIoReader.open(recordPath);
    expect(reader.keys).toEqual([...tinyRecIndex().keys()]);
    // The insightface layout: meta record 0, then one record per image, then one per identity.
    expect(reader.keys).toEqual(Array.from({ length: 1 + reference.images.length + reference.num_classes }, (_, i) => i));
    for (const { key, label, jpeg_bytes } of reference.images) {
      const record = unpackRecord(reader.read(key));
      expect(record.label).toBe(label);
      // The exact length also checks the records the writer split where the magic occurred: each
      // joint must get its 4 magic bytes back.
      expect(record.image.length, `key ${key}`).toBe(jpeg_bytes);
      // A whole JPEG: SOI first, and it decodes to the end (sharp fails on a cut JPEG) at the size of `property`.
      expect(record.image.subarray(0, 2).toString('hex')).toBe('ffd8');
      const { info } = await sharp(record.image).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height], `key ${key}`).toEqual([width, height]);
    }
    reader.close();
  });

  it('joins a multi-part record with the magic re-inserted between parts (continuation flags 1, 2, 3)', () => {
    // A hand-made .rec, laid out as dmlc's writer stores a payload with the magic at the aligned
    // offsets 8 and 12: key 0 is a plain 5-byte record (8 + 8 bytes on disk); key 1, at offset 16,
    // comes in three parts of 8, 0 and 4 bytes (flags 1, 2, 3).
    const magic = Buffer.alloc(4);
    magic.writeUInt32LE(0xced7230a, 0);
    const [first, middle, last] = [Buffer.from('partone!'), Buffer.alloc(0), Buffer.from('tail')];
    const directory = temporaryDirectory();
    writeFileSync(path.join(directory, 'multi.rec'), Buffer.concat([part(0, Buffer.from('plain')), part(1, first), part(2, middle), part(3, last)]));
    writeFileSync(path.join(directory, 'multi.idx'), '0\t0\n1\t16\n');
    const reader = RecordIoReader.open(path.join(directory, 'multi.rec'));
    expect(reader.read(0).toString()).toBe('plain');
    const payload = reader.read(1);
    // 8 + 4 (magic) + 0 + 4 (magic) + 4 bytes.
    expect(payload.length).toBe(20);
    expect(payload.equals(Buffer.concat([first, magic, middle, magic, last]))).toBe(true);
    reader.close();
  });

  it('names file and offset for bad magic, truncation and offsets past the end', () => {
    // Offsets from tiny.idx: the records of keys 1, 2 and 3 start there.
    const index = tinyRecIndex();
    const [one, two, three] = [index.get(1)!, index.get(2)!, index.get(3)!];
    const whole = RecordIoReader.open(recordPath);
    const directory = temporaryDirectory();
    const bad = path.join(directory, 'bad.rec');
    const bytes = Buffer.from(readFileSync(recordPath));
    bytes.writeUInt32LE(0xdeadbeef, one);
    writeFileSync(bad, bytes);
    copyFileSync(referenceFile('tiny.idx'), path.join(directory, 'bad.idx'));
    const reader = RecordIoReader.open(bad);
    expect(() => reader.read(1)).toThrow(
      expect.objectContaining({ code: 'RECORD_BAD_MAGIC', message: expect.stringMatching(new RegExp(`bad\\.rec.*offset ${one}\\b`)) }),
    );
    reader.close();

    // Cut inside record 2's first part: its 8-byte part header + 12 bytes of the 24-byte IRHeader
    // that starts every payload (a writer splits only at the magic word 0xced7230a, which is no flag,
    // label or key of an image record).
    const cut = path.join(directory, 'cut.rec');
    writeFileSync(cut, readFileSync(recordPath).subarray(0, two + 8 + 12));
    copyFileSync(referenceFile('tiny.idx'), path.join(directory, 'cut.idx'));
    const cutReader = RecordIoReader.open(cut);
    expect(cutReader.read(1).equals(whole.read(1))).toBe(true);
    expect(() => cutReader.read(2)).toThrow(
      expect.objectContaining({ code: 'RECORD_TRUNCATED', message: expect.stringMatching(new RegExp(`cut\\.rec.*offset ${two}\\b`)) }),
    );
    expect(() => cutReader.read(3)).toThrow(
      expect.objectContaining({ code: 'RECORD_OFFSET_OUT_OF_RANGE', message: expect.stringMatching(new RegExp(`offset ${three}\\b`)) }),
    );
    expect(() => cutReader.read(Math.max(...index.keys()) + 1)).toThrow(expect.objectContaining({ code: 'RECORD_KEY_NOT_FOUND' }));
    cutReader.close();
    whole.close();
    expect(() => cutReader.read(1)).toThrow(expect.objectContaining({ code: 'READER_CLOSED' }));
  });

  it('rejects a malformed index with its line number', () => {
    const directory = temporaryDirectory();
    copyFileSync(recordPath, path.join(directory, 'x.rec'));
    writeFileSync(path.join(directory, 'x.idx'), '0\t0\n1\tforty\n');
    expect(() => RecordIoReader.open(path.join(directory, 'x.rec'))).toThrow(
      expect.objectContaining({ code: 'RECORD_INDEX_INVALID', message: expect.stringContaining('x.idx:2') }),
    );
  });
});
