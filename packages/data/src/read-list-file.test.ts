import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../test/reference';
import { listImageFolder } from './list-image-folder';
import { readListFile } from './read-list-file';

describe('readListFile / listImageFolder', () => {
  it('reads path-label lines relative to the list and lists identity folders in sorted order', async () => {
    const directory = temporaryDirectory();
    writeFileSync(path.join(directory, 'train.lst'), '# comment\nb/2.jpg 1\n\na with space/1.jpg\t0\n');
    expect(await readListFile(path.join(directory, 'train.lst'))).toEqual([
      { path: path.join(directory, 'b/2.jpg'), label: 1 },
      { path: path.join(directory, 'a with space/1.jpg'), label: 0 },
    ]);
    writeFileSync(path.join(directory, 'bad.lst'), 'a.jpg x\n');
    await expect(readListFile(path.join(directory, 'bad.lst'))).rejects.toMatchObject({
      code: 'LIST_FILE_INVALID',
      message: expect.stringContaining('bad.lst:1'),
    });

    for (const [folder, file] of [
      ['zed', 'b.jpg'],
      ['zed', 'a.png'],
      ['amy', 'x.jpg'],
      ['amy', 'notes.txt'],
    ]) {
      mkdirSync(path.join(directory, 'faces', folder!), { recursive: true });
      writeFileSync(path.join(directory, 'faces', folder!, file!), '');
    }
    const listing = await listImageFolder(path.join(directory, 'faces'));
    expect(listing.classNames).toEqual(['amy', 'zed']);
    expect(listing.samples.map((s) => [path.basename(s.path), s.label])).toEqual([
      ['x.jpg', 0],
      ['a.png', 1],
      ['b.jpg', 1],
    ]);
  });
});
