import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { initBackend, tf } from '@bigface/backend';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceFile, temporaryDirectory, tinyRecReference } from '../test/reference';
import { batchToTensors } from './batch-to-tensors';
import { type Batch, DataPipeline, type DataPipelineOptions } from './data-pipeline';
import { DistributedSampler } from './distributed-sampler';
import { packRecord } from './pack-record';
import { RecordDataset } from './record-dataset';
import { RecordIoWriter } from './record-io-writer';

const tiny = { format: 'recordio', recordPath: referenceFile('tiny.rec') } as const;

async function collect(options: DataPipelineOptions, start = { epoch: 0, step: 0 }, endEpoch = 2): Promise<Batch[]> {
  const pipeline = new DataPipeline(options);
  const batches: Batch[] = [];
  for await (const batch of pipeline.batches(start, endEpoch)) batches.push(batch);
  await pipeline.close();
  return batches;
}

/** Decodes tiny.rec's images independently: plain sharp, then (x/255 - 0.5)/0.5 written out longhand. */
async function referencePixels(): Promise<Float32Array[]> {
  const dataset = RecordDataset.open(tiny.recordPath);
  const out: Float32Array[] = [];
  for (let i = 0; i < dataset.length; i++) {
    const raw = await sharp(dataset.read(i).image).raw().toBuffer();
    out.push(Float32Array.from(raw, (value) => (value / 255 - 0.5) / 0.5));
  }
  dataset.close();
  return out;
}

function mirror(image: Float32Array, size = 112): Float32Array {
  const out = new Float32Array(image.length);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = image[(y * size + size - 1 - x) * 3 + c]!;
  return out;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('DataPipeline', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('decodes and normalises to (x/255 - 0.5)/0.5 with the labels of tiny-rec.json; flips mirror exactly', async () => {
    const expected = await referencePixels();
    const labels = tinyRecReference().images.map((image) => image.label);
    const sampler = new DistributedSampler({ size: 12, batchSize: 4, seed: 5 });
    const plain = await collect({ source: tiny, sampler, seed: 1, flip: false, mask: false, workers: 1 }, undefined, 1);
    expect(plain.map((b) => [b.size, b.images.length])).toEqual([[4, 4 * 112 * 112 * 3], [4, 4 * 112 * 112 * 3], [4, 4 * 112 * 112 * 3]]);
    for (const batch of plain) {
      batch.indices.forEach((index, k) => {
        expect(batch.labels[k]).toBe(labels[index]);
        expect(maxDifference(batch.images.subarray(k * 37632, (k + 1) * 37632), expected[index]!)).toBeLessThan(1e-6);
      });
    }
    const flipped = await collect({ source: tiny, sampler, seed: 1, flip: true, mask: false, workers: 0 }, undefined, 1);
    let mirrored = 0;
    for (const batch of flipped) {
      batch.indices.forEach((index, k) => {
        const image = batch.images.subarray(k * 37632, (k + 1) * 37632);
        const isMirror = maxDifference(image, mirror(expected[index]!)) < 1e-6;
        if (isMirror) mirrored++;
        else expect(maxDifference(image, expected[index]!)).toBeLessThan(1e-6);
      });
    }
    expect(mirrored).toBeGreaterThan(0); // p = 0.5 each: all-or-nothing over 12 has probability 2^-11
    expect(mirrored).toBeLessThan(12);
  });

  it('gives bit-identical batches (with flips and masks) for 0, 1 and 2 workers, and resumes exactly', async () => {
    const sampler = new DistributedSampler({ size: 12, batchSize: 3, seed: 9 });
    const options = { source: tiny, sampler, seed: 3, mask: { ratio: 0.5 } } as const;
    const runs = await Promise.all([0, 1, 2].map((workers) => collect({ ...options, workers })));
    expect(runs[0]!.length).toBe(8); // 2 epochs x 4 steps
    for (const run of runs.slice(1)) {
      run.forEach((batch, i) => {
        expect([batch.epoch, batch.step]).toEqual([runs[0]![i]!.epoch, runs[0]![i]!.step]);
        expect([...batch.indices]).toEqual([...runs[0]![i]!.indices]);
        expect(Buffer.from(batch.images.buffer).equals(Buffer.from(runs[0]![i]!.images.buffer))).toBe(true);
      });
    }
    const resumed = await collect({ ...options, workers: 2 }, { epoch: 1, step: 2 });
    expect(resumed.length).toBe(2);
    expect(Buffer.from(resumed[0]!.images.buffer).equals(Buffer.from(runs[0]![6]!.images.buffer))).toBe(true);
  });

  it('masks about `ratio` of the images, on the lower face', async () => {
    const sampler = new DistributedSampler({ size: 12, batchSize: 12, seed: 0, shuffle: false });
    const unmasked = (await collect({ source: tiny, sampler, seed: 2, flip: false, mask: false, workers: 0 }, undefined, 4)).map((b) => b.images);
    const masked = (await collect({ source: tiny, sampler, seed: 2, flip: false, mask: { ratio: 0.35 }, workers: 0 }, undefined, 4)).map((b) => b.images);
    let count = 0;
    masked.forEach((images, epoch) => {
      for (let k = 0; k < 12; k++) {
        const a = images.subarray(k * 37632, (k + 1) * 37632);
        const b = unmasked[epoch]!.subarray(k * 37632, (k + 1) * 37632);
        if (maxDifference(a, b) === 0) continue;
        count++;
        // The eye band (rows 40-60) is untouched far more than the mouth band (rows 85-100).
        expect(maxDifference(a.subarray(40 * 336, 60 * 336), b.subarray(40 * 336, 60 * 336))).toBeLessThan(maxDifference(a.subarray(85 * 336, 100 * 336), b.subarray(85 * 336, 100 * 336)));
      }
    });
    // 48 draws at p = 0.35: mean 16.8, sd 3.3; [7, 27] is a 3-sigma band.
    expect(count).toBeGreaterThanOrEqual(7);
    expect(count).toBeLessThanOrEqual(27);
  });

  it('imageSize other than 112 with masking: flip and mask on the 112x112 crop, then resize (equal to resizing the 112 output)', async () => {
    const sampler = new DistributedSampler({ size: 12, batchSize: 6, seed: 0, shuffle: true });
    const options = { source: tiny, sampler, seed: 5, mask: { ratio: 0.5 }, workers: 0 } as const;
    const full = await collect({ ...options }, undefined, 1);
    const small = await collect({ ...options, imageSize: [56, 48] }, undefined, 1);
    expect(small.map((b) => b.images.length)).toEqual([6 * 56 * 48 * 3, 6 * 56 * 48 * 3]);
    for (const [step, batch] of small.entries()) {
      expect(Array.from(batch.labels)).toEqual(Array.from(full[step]!.labels));
      for (let k = 0; k < 6; k++) {
        // The 112 output back to bytes (exact: x/127.5 - 1 of integers), resized by sharp independently.
        const bytes = Uint8Array.from(full[step]!.images.subarray(k * 37632, (k + 1) * 37632), (v) => Math.round((v + 1) * 127.5));
        const resized = await sharp(bytes, { raw: { width: 112, height: 112, channels: 3 } }).resize(48, 56, { fit: 'fill' }).raw().toBuffer();
        const expected = Float32Array.from(resized, (v) => v / 127.5 - 1);
        expect(maxDifference(batch.images.subarray(k * 8064, (k + 1) * 8064), expected)).toBeLessThan(1e-6);
      }
    }
  });

  it('reports corrupt samples: "throw" names file and key, "skip" leaves them out and counts them', async () => {
    const directory = temporaryDirectory();
    const recordPath = path.join(directory, 'train.rec');
    const writer = RecordIoWriter.create(recordPath);
    const good = RecordDataset.open(tiny.recordPath);
    writer.write(0, packRecord({ labels: [5, 7] }));
    for (let key = 1; key <= 4; key++) {
      const image = key === 3 ? Buffer.from('this is not a jpeg') : key === 4 ? good.read(0).image.subarray(0, 600) : good.read(key).image;
      writer.write(key, packRecord({ label: key % 2, id: key, image }));
    }
    writer.close();
    good.close();
    const sampler = new DistributedSampler({ size: 4, batchSize: 4, seed: 0, shuffle: false });
    const source = { format: 'recordio', recordPath } as const;
    const failing = new DataPipeline({ source, sampler, seed: 0, workers: 1 });
    await expect(failing.batches().next()).rejects.toMatchObject({ code: 'IMAGE_DECODE_FAILED', message: expect.stringMatching(/train\.rec key 3 \(offset \d+\)/) });
    await failing.close();
    const skipping = new DataPipeline({ source, sampler, seed: 0, workers: 1, onError: 'skip' });
    const value = (await skipping.batches().next()).value as Batch;
    expect(value.size).toBe(2);
    expect([...value.indices]).toEqual([0, 1]);
    expect(value.skipped.map((s) => [s.index, s.code])).toEqual([[2, 'IMAGE_DECODE_FAILED'], [3, 'IMAGE_DECODE_FAILED']]);
    expect(value.skipped[0]!.origin).toContain('key 3');
    expect(skipping.skippedCount).toBe(2);
    await skipping.close();
  });

  it('applies back-pressure: no more than `prefetch` batches are requested ahead of the consumer', async () => {
    const sampler = new DistributedSampler({ size: 12, batchSize: 2, seed: 0 });
    let requested = 0;
    const original = sampler.batches.bind(sampler);
    sampler.batches = function* (...args) {
      for (const batch of original(...args)) {
        requested++;
        yield batch;
      }
    };
    const pipeline = new DataPipeline({ source: tiny, sampler, seed: 0, workers: 1, prefetch: 2, mask: false });
    const iterator = pipeline.batches();
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(requested).toBeLessThanOrEqual(3);
    await iterator.return(undefined);
    await pipeline.close();
  });

  it('keeps a plain script alive while a batch is in flight, and lets it exit when done (built package)', () => {
    const script = `
      import { DataPipeline, DistributedSampler } from '@bigface/data';
      const sampler = new DistributedSampler({ size: 12, batchSize: 4, seed: 0 });
      const pipeline = new DataPipeline({ source: { format: 'recordio', recordPath: ${JSON.stringify(tiny.recordPath)} }, sampler, seed: 0, workers: 2 });
      let n = 0;
      for await (const batch of pipeline.batches({ epoch: 0, step: 0 }, 1)) n += batch.size;
      console.log('images', n);`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.resolve(__dirname, '..'), encoding: 'utf8', timeout: 30_000 });
    expect(output.trim()).toBe('images 12'); // and it exited by itself: the workers were closed only implicitly
  });

  it('batchToTensors makes [B,112,112,3] float32 and [B] int32 tensors without leaks', async () => {
    const sampler = new DistributedSampler({ size: 12, batchSize: 2, seed: 0 });
    const [batch] = await collect({ source: tiny, sampler, seed: 0, workers: 0, mask: false }, undefined, 1);
    const before = tf.memory().numTensors;
    const { images, labels } = batchToTensors(batch!);
    expect(images.shape).toEqual([2, 112, 112, 3]);
    expect([images.dtype, labels.dtype]).toEqual(['float32', 'int32']);
    expect(Array.from(labels.dataSync())).toEqual([...batch!.labels]);
    expect(images.dataSync()[5]).toBe(batch!.images[5]);
    tf.dispose([images, labels]);
    expect(tf.memory().numTensors).toBe(before);
    expect(readFileSync(referenceFile('property'), 'utf8').trim()).toBe('3,112,112');
  });
});
