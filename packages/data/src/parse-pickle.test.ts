import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { referenceFile, temporaryDirectory } from '../test/reference';
import { parsePickle } from './parse-pickle';
import { readVerificationBin } from './read-verification-bin';

describe('parsePickle / readVerificationBin', () => {
  it('reads tiny.bin as CPython does: 8 JPEGs (sizes and sha256 prefixes from pickle.load) and issame [T, F, T, F]', async () => {
    const { images, issame } = await readVerificationBin(referenceFile('tiny.bin'));
    expect(issame).toEqual([true, false, true, false]);
    expect(images.map((image) => image.length)).toEqual([5410, 5445, 5432, 5405, 5430, 5399, 5465, 5330]);
    expect(images.map((image) => createHash('sha256').update(image).digest('hex').slice(0, 12))).toEqual([
      '519bd45ff2d3', '765b0aea663c', 'f5bc22eaadd4', '1f88b2642749', 'c10c4c97aba7', '9fae33dac0fb', '4ecb04c3fb59', 'df8fea1dda6f',
    ]);
    expect((await sharp(images[0]).metadata()).width).toBe(112);
  });

  it('reads protocol 4 bytes from CPython and a hand-made Python 2 (protocol 2, SHORT_BINSTRING) pickle', () => {
    // pickle.dumps(([b'ab', b'xxx'], [True, False]), protocol=4)
    const protocol4 = Buffer.from('80049518000000000000005d94284302616294430378787894655d942888896586942e', 'hex');
    const value = parsePickle(protocol4) as { tuple: unknown[] };
    expect(value.tuple[1]).toEqual([true, false]);
    expect((value.tuple[0] as Buffer[]).map((b) => b.toString())).toEqual(['ab', 'xxx']);
    // PROTO 2, EMPTY_LIST, BINPUT 0, MARK, U 'ab', BINPUT 1, U 'c', APPENDS, ] q2 I01\n a ... TUPLE2 STOP
    const python2 = Buffer.concat([
      Buffer.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x55, 0x02]), Buffer.from('ab'), Buffer.from([0x71, 0x01, 0x55, 0x01]), Buffer.from('c'),
      Buffer.from([0x65, 0x5d, 0x71, 0x02, 0x49]), Buffer.from('01\n'), Buffer.from([0x61, 0x86, 0x2e]),
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
    await expect(readVerificationBin(path.join(directory, 'dict.bin'))).rejects.toMatchObject({ code: 'PICKLE_UNSUPPORTED_OPCODE', message: expect.stringContaining('offset 2') });
  });
});
