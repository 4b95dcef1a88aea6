import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../test/reference';
import { readPairsFile } from './read-pairs-file';

describe('readPairsFile', () => {
  it('reads LFW pairs.txt lines (header, same and different) and explicit path lists', async () => {
    const directory = temporaryDirectory();
    const file = path.join(directory, 'pairs.txt');
    writeFileSync(file, '10\t300\nAbel_Pacheco\t1\t4\nAbdel_Madi_Shabneh\t1\tDean_Barker\t1\nx/a.jpg y/b.jpg 0\n');
    const pairs = await readPairsFile(file, { imageRoot: '/lfw' });
    expect(pairs).toEqual([
      { first: '/lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg', second: '/lfw/Abel_Pacheco/Abel_Pacheco_0004.jpg', issame: true },
      { first: '/lfw/Abdel_Madi_Shabneh/Abdel_Madi_Shabneh_0001.jpg', second: '/lfw/Dean_Barker/Dean_Barker_0001.jpg', issame: false },
      { first: '/lfw/x/a.jpg', second: '/lfw/y/b.jpg', issame: false },
    ]);
    writeFileSync(file, 'just-one-field\n');
    await expect(readPairsFile(file)).rejects.toMatchObject({ code: 'PAIRS_FILE_INVALID', message: expect.stringContaining('pairs.txt:1') });
  });
});
