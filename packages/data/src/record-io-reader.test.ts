import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceFile, temporaryDirectory, tinyRecReference } from '../test/reference';
import { RecordIoReader } from './record-io-reader';
import { unpackRecord } from './unpack-record';

const recordPath = referenceFile('tiny.rec');

describe('RecordIoReader', () => {
  it('reads every image of tiny.rec with the labels and JPEG sizes of tiny-rec.json', () => {
    const reference = tinyRecReference();
    const reader = RecordIoReader.open(recordPath);
    expect(reader.keys).toEqual(Array.from({ length: 16 }, (_, i) => i));
    for (const { key, label, jpeg_bytes } of reference.images) {
      const record = unpackRecord(reader.read(key));
      expect(record.label).toBe(label);
      expect(record.image.length).toBe(jpeg_bytes);
      // A whole JPEG: SOI at the start, EOI at the end (key 2 carries trailing bytes with the magic after EOI).
      expect(record.image.subarray(0, 2).toString('hex')).toBe('ffd8');
      const tail = key === 2 ? Buffer.concat([Buffer.from('ffd9000a23d7ce0a23d7ce', 'hex'), Buffer.from('tail')]) : Buffer.from('ffd9', 'hex');
      expect(record.image.subarray(-tail.length).equals(tail)).toBe(true);
    }
    reader.close();
  });

  it('joins the multi-part record (key 2) with the magic re-inserted between parts', () => {
    const reader = RecordIoReader.open(recordPath);
    const payload = reader.read(2);
    // Parts on disk (see tiny.rec at offset 5520): 5356 + 0 + 4 bytes, so 2 magics come back: 5368 bytes.
    expect(payload.length).toBe(5356 + 4 + 0 + 4 + 4);
    expect(payload.readUInt32LE(5356)).toBe(0xced7230a);
    expect(payload.readUInt32LE(5360)).toBe(0xced7230a);
    const record = unpackRecord(payload);
    expect(record.flag).toBe(1);
    expect(record.image.length).toBe(5340);
    reader.close();
  });

  it('names file and offset for bad magic, truncation and offsets past the end', () => {
    const directory = temporaryDirectory();
    const bad = path.join(directory, 'bad.rec');
    const bytes = Buffer.from(readFileSync(recordPath));
    bytes.writeUInt32LE(0xdeadbeef, 40);
    writeFileSync(bad, bytes);
    copyFileSync(referenceFile('tiny.idx'), path.join(directory, 'bad.idx'));
    const reader = RecordIoReader.open(bad);
    expect(() => reader.read(1)).toThrow(expect.objectContaining({ code: 'RECORD_BAD_MAGIC', message: expect.stringMatching(/bad\.rec.*offset 40/) }));
    reader.close();

    const cut = path.join(directory, 'cut.rec');
    writeFileSync(cut, readFileSync(recordPath).subarray(0, 5600));
    copyFileSync(referenceFile('tiny.idx'), path.join(directory, 'cut.idx'));
    const cutReader = RecordIoReader.open(cut);
    expect(cutReader.read(1).length).toBe(5472);
    expect(() => cutReader.read(2)).toThrow(expect.objectContaining({ code: 'RECORD_TRUNCATED', message: expect.stringMatching(/cut\.rec.*offset 5520/) }));
    expect(() => cutReader.read(3)).toThrow(expect.objectContaining({ code: 'RECORD_OFFSET_OUT_OF_RANGE', message: expect.stringContaining('offset 10904') }));
    expect(() => cutReader.read(99)).toThrow(expect.objectContaining({ code: 'RECORD_KEY_NOT_FOUND' }));
    cutReader.close();
    expect(() => cutReader.read(1)).toThrow(expect.objectContaining({ code: 'READER_CLOSED' }));
  });

  it('rejects a malformed index with its line number', () => {
    const directory = temporaryDirectory();
    copyFileSync(recordPath, path.join(directory, 'x.rec'));
    writeFileSync(path.join(directory, 'x.idx'), '0\t0\n1\tforty\n');
    expect(() => RecordIoReader.open(path.join(directory, 'x.rec'))).toThrow(expect.objectContaining({ code: 'RECORD_INDEX_INVALID', message: expect.stringContaining('x.idx:2') }));
  });
});
