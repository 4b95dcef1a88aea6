import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { referenceFile, temporaryDirectory, tinyRecProperty, tinyRecReference } from '../test/reference';
import { packRecord } from './pack-record';
import { RecordDataset } from './record-dataset';
import { RecordIoWriter } from './record-io-writer';

describe('RecordDataset', () => {
  it('opens tiny.rec: the images, identities, labels and JPEG sizes of tiny-rec.json, decodable at the size of property', async () => {
    const reference = tinyRecReference();
    const { width, height } = tinyRecProperty();
    const dataset = RecordDataset.open(referenceFile('tiny.rec'));
    expect(dataset.length).toBe(reference.images.length);
    expect(dataset.numClasses).toBe(reference.num_classes);
    expect(dataset.imageSize).toEqual([height, width]);
    expect(dataset.imageKeys).toEqual(reference.images.map((image) => image.key));
    for (let i = 0; i < dataset.length; i++) {
      const sample = dataset.read(i);
      expect(sample.label).toBe(reference.images[i]!.label);
      expect(sample.image.length).toBe(reference.images[i]!.jpeg_bytes);
    }
    const metadata = await sharp(dataset.read(dataset.length - 1).image).metadata();
    expect([metadata.width, metadata.height, metadata.format]).toEqual([width, height, 'jpeg']);
    expect(() => dataset.read(dataset.length)).toThrow(expect.objectContaining({ code: 'INDEX_OUT_OF_RANGE' }));
    dataset.close();
  });

  it('uses every key when record 0 has flag 0, and numClasses from property', () => {
    const directory = temporaryDirectory();
    const writer = RecordIoWriter.create(path.join(directory, 'train.rec'));
    for (let key = 0; key < 3; key++) writer.write(key, packRecord({ label: key % 2, image: Buffer.from([key]) }));
    writer.close();
    writeFileSync(path.join(directory, 'property'), '2,112,112\n');
    const dataset = RecordDataset.open(path.join(directory, 'train.rec'));
    expect(dataset.imageKeys).toEqual([0, 1, 2]);
    expect(dataset.numClasses).toBe(2);
    expect(dataset.read(1).label).toBe(1);
    dataset.close();
  });
});
