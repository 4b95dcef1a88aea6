import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallSample } from '../test/sample-photos';
import { alignPhotoFolder, type PhotoDetections } from './align-photo-folder';
import { RecordDataset } from './record-dataset';

let root: string;
let photos: string;
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bigface-align-'));
  photos = path.join(root, 'photos');
  for (const folder of ['alice', 'bob', 'carol']) mkdirSync(path.join(photos, folder), { recursive: true });
  writeFileSync(path.join(photos, 'alice/one.jpg'), await smallSample(1, 480));
  writeFileSync(
    path.join(photos, 'alice/two.webp'),
    await sharp(await smallSample(4, 480))
      .webp()
      .toBuffer(),
  );
  // Stored turned, shown upright through EXIF orientation 6.
  writeFileSync(
    path.join(photos, 'bob/turned.jpg'),
    await sharp(await smallSample(3, 480))
      .rotate(-90)
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer(),
  );
  writeFileSync(
    path.join(photos, 'bob/plain.png'),
    await sharp(await smallSample(6, 480))
      .png()
      .toBuffer(),
  );
  writeFileSync(
    path.join(photos, 'carol/wall.png'),
    await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 190, b: 170 } } })
      .png()
      .toBuffer(),
  );
  const jpeg = await smallSample(5, 480);
  writeFileSync(path.join(photos, 'carol/cut.jpg'), jpeg.subarray(0, jpeg.length >> 1));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('alignPhotoFolder (bigface data align)', () => {
  it('aligns the largest face of every photo into a crops folder, lists the photo without a face and names the truncated one, then resumes', async () => {
    const output = path.join(root, 'faces');
    const events: string[] = [];
    const result = await alignPhotoFolder(photos, output, { workers: 1, onProgress: (event) => events.push(`${event.file}:${event.status}`) });
    expect({ photos: result.photos, aligned: result.aligned, faces: result.faces, skipped: result.skipped, noFace: result.noFace }).toEqual({
      photos: 6,
      aligned: 4,
      faces: 4,
      skipped: 0,
      noFace: ['carol/wall.png'],
    });
    expect(result.failed).toEqual([expect.objectContaining({ file: 'carol/cut.jpg', message: expect.stringContaining('carol/cut.jpg') })]);
    expect(events).toHaveLength(6);
    for (const crop of ['alice/one.jpg', 'alice/two.jpg', 'bob/turned.jpg', 'bob/plain.jpg']) {
      expect(await sharp(path.join(output, crop)).metadata()).toMatchObject({ width: 112, height: 112, format: 'jpeg' });
    }
    const lines = readFileSync(path.join(output, 'detections.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as PhotoDetections);
    expect(lines.map((line) => line.file).sort()).toEqual(['alice/one.jpg', 'alice/two.webp', 'bob/plain.png', 'bob/turned.jpg', 'carol/wall.png']);
    const turned = lines.find((line) => line.file === 'bob/turned.jpg')!;
    // Displayed size (EXIF applied): 480 wide, as the upright photo.
    expect(turned.width).toBe(480);
    expect(turned.faces[0]).toMatchObject({ crop: 'bob/turned.jpg', score: expect.any(Number) });
    expect(turned.faces[0]!.box).toHaveLength(4);
    expect(turned.faces[0]!.landmarks).toHaveLength(5);

    const again = await alignPhotoFolder(photos, output, { workers: 0 });
    expect({ skipped: again.skipped, aligned: again.aligned, faces: again.faces, failed: again.failed.length }).toEqual({
      skipped: 5,
      aligned: 4,
      faces: 4,
      failed: 1,
    });
  });

  it('writes every face with allFaces, straight into a RecordIO that RecordDataset reads', async () => {
    const output = path.join(root, 'packed/train.rec');
    const result = await alignPhotoFolder(photos, output, { workers: 1, allFaces: true });
    // sample1: 3 faces, sample4: 4, sample3: 3, sample6: 4.
    expect(result.faces).toBe(14);
    expect(existsSync(path.join(root, 'packed/train-crops/alice/one_2.jpg'))).toBe(true);
    expect(result.record).toMatchObject({ numImages: 14, numClasses: 2, classNames: ['alice', 'bob'] });
    const dataset = RecordDataset.open(output);
    expect([dataset.length, dataset.numClasses, dataset.imageSize]).toEqual([14, 2, [112, 112]]);
    dataset.close();
  });

  it('refuses a RecordIO from photos without identity folders, saying how to lay them out', async () => {
    const loose = path.join(root, 'loose');
    mkdirSync(loose);
    writeFileSync(path.join(loose, 'a.jpg'), await smallSample(2, 320));
    await expect(alignPhotoFolder(loose, path.join(root, 'x/train.rec'), { workers: 0 })).rejects.toMatchObject({
      code: 'PHOTOS_WITHOUT_IDENTITY',
      message: expect.stringContaining('sub-folder'),
    });
    await expect(alignPhotoFolder(path.join(root, 'nowhere'), path.join(root, 'y'), { workers: 0 })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });
});
