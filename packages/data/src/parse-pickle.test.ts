import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { referenceFile, temporaryDirectory, tinyBinReference } from '../test/reference';
import { parsePickle } from './parse-pickle';
import { readVerificationBin } from './read-verification-bin';

describe('parsePickle / readVerificationBin', () => {
  it('reads tiny.bin as CPython does: every JPEG (size, sha256, dimensions) and the issame list of tiny-bin.json', async () => {
    const expected = tinyBinReference();
    const { images, issame } = await readVerificationBin(referenceFile('tiny.bin'));
    expect(issame).toEqual(expected.issame);
    expect(images.length).toBe(2 * expected.pairs);
    expect(images.map((image) => image.length)).toEqual(expected.images.map((image) => image.bytes));
    expect(images.map((image) => createHash('sha256').update(image).digest('hex'))).toEqual(expected.images.map((image) => image.sha256));
    const sizes = await Promise.all(images.map(async (image) => (({ width, height }) => [width, height])(await sharp(image).metadata())));
    expect(sizes).toEqual(expected.images.map((image) => [image.width, image.height]));
  });

  it('reads protocol 4 bytes from CPython and a hand-made Python 2 (protocol 2, SHORT_BINSTRING) pickle', () => {
    // pickle.dumps(([b'ab', b'xxx'], [True, False]), protocol=4)
    const protocol4 = Buffer.from('80049518000000000000005d94284302616294430378787894655d942888896586942e', 'hex');
    const value = parsePickle(protocol4) as { tuple: unknown[] };
    expect(value.tuple[1]).toEqual([true, false]);
    expect((value.tuple[0] as Buffer[]).map((b) => b.toString())).toEqual(['ab', 'xxx']);
    // PROTO 2, EMPTY_LIST, BINPUT 0, MARK, U 'ab', BINPUT 1, U 'c', APPENDS, ] q2 I01\n a ... TUPLE2 STOP
    const python2 = Buffer.concat([
      Buffer.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x55, 0x02]),
      Buffer.from('ab'),
      Buffer.from([0x71, 0x01, 0x55, 0x01]),
      Buffer.from('c'),
      Buffer.from([0x65, 0x5d, 0x71, 0x02, 0x49]),
      Buffer.from('01\n'),
      Buffer.from([0x61, 0x86, 0x2e]),
    ]);
    const parsed = parsePickle(python2) as { tuple: [Buffer[], boolean[]] };
    expect(parsed.tuple[0].map((b) => b.toString())).toEqual(['ab', 'c']);
    expect(parsed.tuple[1]).toEqual([true]);
  });

  it('refuses code: GLOBAL os.system + REDUCE is rejected at its offset, nothing runs', async () => {
    // pickle of os.system('echo') in protocol 0: c os\nsystem\n(S'echo'\ntR.
    const malicious = Buffer.from("cos\nsystem\n(S'echo'\ntR.", 'latin1');
    expect(() => parsePickle(malicious, 'evil.bin')).toThrow(
      expect.objectContaining({ code: 'PICKLE_UNSUPPORTED_OPCODE', message: expect.stringMatching(/evil\.bin.*GLOBAL.*offset 0/) }),
    );
    const directory = temporaryDirectory();
    writeFileSync(path.join(directory, 'cut.bin'), Buffer.from('80049518000000000000005d942843026162', 'hex'));
    await expect(readVerificationBin(path.join(directory, 'cut.bin'))).rejects.toMatchObject({ code: 'PICKLE_TRUNCATED' });
    writeFileSync(path.join(directory, 'dict.bin'), Buffer.from([0x80, 0x04, 0x7d, 0x2e]));
    await expect(readVerificationBin(path.join(directory, 'dict.bin'))).rejects.toMatchObject({
      code: 'PICKLE_UNSUPPORTED_OPCODE',
      message: expect.stringContaining('offset 2'),
    });
  });
});
