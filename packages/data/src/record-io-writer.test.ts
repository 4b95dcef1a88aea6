import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceFile, temporaryDirectory } from '../test/reference';
import { RecordIoReader } from './record-io-reader';
import { RecordIoWriter } from './record-io-writer';

describe('RecordIoWriter', () => {
  it('rewrites tiny.rec and tiny.idx byte for byte (including the records split where the magic occurs)', () => {
    const reader = RecordIoReader.open(referenceFile('tiny.rec'));
    const directory = temporaryDirectory();
    const writer = RecordIoWriter.create(path.join(directory, 'copy.rec'));
    for (const key of reader.keys) writer.write(key, reader.read(key));
    writer.close();
    reader.close();
    expect(readFileSync(path.join(directory, 'copy.rec')).equals(readFileSync(referenceFile('tiny.rec')))).toBe(true);
    expect(readFileSync(path.join(directory, 'copy.idx'), 'utf8')).toBe(readFileSync(referenceFile('tiny.idx'), 'utf8'));
  });

  it('round-trips payloads with magic at aligned and unaligned positions, odd lengths and empty ones', () => {
    const magic = [0x0a, 0x23, 0xd7, 0xce];
    const payloads = [
      Buffer.from([]),
      Buffer.from([1, 2, 3]),
      Buffer.from([...magic]),
      Buffer.from([...magic, ...magic, 9]),
      Buffer.from([7, ...magic, 1, 2, 3]), // unaligned: not split
      Buffer.from([1, 2, 3, 4, ...magic, 5, 6, 7, 8, ...magic]),
    ];
    const directory = temporaryDirectory();
    const writer = RecordIoWriter.create(path.join(directory, 'r.rec'));
    payloads.forEach((payload, key) => {
      writer.write(key * 10, payload);
    });
    expect(() => writer.write(0, Buffer.from([1]))).toThrow(expect.objectContaining({ code: 'RECORD_DUPLICATE_KEY' }));
    writer.close();
    const reader = RecordIoReader.open(path.join(directory, 'r.rec'));
    payloads.forEach((payload, key) => {
      expect([...reader.read(key * 10)]).toEqual([...payload]);
    });
    reader.close();
  });
});
