import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceFile, temporaryDirectory, tinyRecReference } from '../test/reference';
import { packImageFolder } from './pack-image-folder';
import { RecordDataset } from './record-dataset';
import { RecordIoReader } from './record-io-reader';
import { unpackRecord } from './unpack-record';

describe('packImageFolder / packRecordDataset', () => {
  it('turns an image folder into the insightface layout of tiny.rec (meta and identity records byte-equal)', async () => {
    const reference = tinyRecReference();
    const source = RecordDataset.open(referenceFile('tiny.rec'));
    // Zero-padded names keep the folders' sorted order equal to the label order past 9 identities.
    const folderOf = (label: number) => `person-${String(label).padStart(6, '0')}`;
    const folder = temporaryDirectory();
    for (let i = 0; i < source.length; i++) {
      const { image, label } = source.read(i);
      mkdirSync(path.join(folder, folderOf(label)), { recursive: true });
      writeFileSync(path.join(folder, folderOf(label), `${String(i).padStart(6, '0')}.jpg`), image);
    }
    const out = temporaryDirectory();
    const result = await packImageFolder(folder, path.join(out, 'train.rec'));
    const labels = Array.from({ length: reference.num_classes }, (_, label) => label);
    expect(result).toMatchObject({ numImages: reference.images.length, numClasses: reference.num_classes, classNames: labels.map(folderOf) });
    expect(await readFile(path.join(out, 'property'), 'utf8')).toBe((await readFile(referenceFile('property'), 'utf8')).trim());

    const original = RecordIoReader.open(referenceFile('tiny.rec'));
    const packed = RecordIoReader.open(path.join(out, 'train.rec'));
    // Meta record (key 0) and the per-identity records (the keys after the images) as insightface writes them.
    const identityKeys = labels.map((label) => reference.images.length + 1 + label);
    expect(packed.keys).toEqual(original.keys);
    for (const key of [0, ...identityKeys]) expect(packed.read(key).equals(original.read(key)), `key ${key}`).toBe(true);
    for (const { key, label } of reference.images) {
      const a = unpackRecord(original.read(key));
      const b = unpackRecord(packed.read(key));
      expect(b.label).toBe(label);
      expect(b.id).toBe(BigInt(key));
      expect(b.image.equals(a.image)).toBe(true);
    }
    original.close();
    packed.close();
    source.close();
  });

  it('refuses labels with gaps', async () => {
    const { packRecordDataset } = await import('./pack-record-dataset');
    const out = temporaryDirectory();
    await expect(packRecordDataset([{ image: Buffer.from([1]), label: 1 }], path.join(out, 'train.rec'), { imageSize: [112, 112] })).rejects.toMatchObject({
      code: 'INVALID_LABEL',
    });
  });
});
