import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { initBackend, tf } from '@bigface/backend';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceFile, temporaryDirectory, threeSigmaBand, tinyRecReference } from '../test/reference';
import { batchToTensors } from './batch-to-tensors';
import { type Batch, DataPipeline, type DataPipelineOptions } from './data-pipeline';
import { DistributedSampler } from './distributed-sampler';
import { packRecord } from './pack-record';
import { RecordDataset } from './record-dataset';
import { RecordIoWriter } from './record-io-writer';

const tiny = { format: 'recordio', recordPath: referenceFile('tiny.rec') } as const;
/** Images in tiny.rec: every sampler below is sized from it. */
const count = tinyRecReference().images.length;
/** The pipeline's crop: insightface's 112×112 aligned face, the size of tiny.rec's images. */
const CROP = 112;
const PIXELS = CROP * CROP * 3;
const ROW = CROP * 3;

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
    const { data, info } = await sharp(dataset.read(i).image).raw().toBuffer({ resolveWithObject: true });
    if (info.width !== CROP || info.height !== CROP)
      throw new Error(
        `${tiny.recordPath}: image ${i} is ${info.width}x${info.height}; these tests need the ${CROP}x${CROP} aligned faces of the insightface layout`,
      );
    out.push(Float32Array.from(data, (value) => (value / 255 - 0.5) / 0.5));
  }
  dataset.close();
  return out;
}

function mirror(image: Float32Array, size = CROP): Float32Array {
  const out = new Float32Array(image.length);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = image[(y * size + size - 1 - x) * 3 + c]!;
  return out;
}

/** The fraction of values in image rows [first, end) that differ between a and b. */
function changedFraction(a: Float32Array, b: Float32Array, first: number, end: number): number {
  let changed = 0;
  for (let i = first * ROW; i < end * ROW; i++) if (a[i] !== b[i]) changed++;
  return changed / ((end - first) * ROW);
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
    const batchSize = Math.min(4, count);
    const steps = Math.floor(count / batchSize); // the last partial batch is dropped
    const sampler = new DistributedSampler({ size: count, batchSize, seed: 5 });
    const plain = await collect({ source: tiny, sampler, seed: 1, flip: false, mask: false, workers: 1 }, undefined, 1);
    expect(plain.map((b) => [b.size, b.images.length])).toEqual(Array.from({ length: steps }, () => [batchSize, batchSize * PIXELS]));
    for (const batch of plain) {
      batch.indices.forEach((index, k) => {
        expect(batch.labels[k]).toBe(labels[index]);
        expect(maxDifference(batch.images.subarray(k * PIXELS, (k + 1) * PIXELS), expected[index]!)).toBeLessThan(1e-6);
      });
    }
    // At least 12 draws (more epochs for a smaller file): with p = 0.5 each, all-or-nothing has probability ≤ 2^-11.
    const flipped = await collect({ source: tiny, sampler, seed: 1, flip: true, mask: false, workers: 0 }, undefined, Math.ceil(12 / (steps * batchSize)));
    let mirrored = 0;
    let draws = 0;
    for (const batch of flipped) {
      batch.indices.forEach((index, k) => {
        const image = batch.images.subarray(k * PIXELS, (k + 1) * PIXELS);
        const isMirror = maxDifference(image, mirror(expected[index]!)) < 1e-6;
        draws++;
        if (isMirror) mirrored++;
        else expect(maxDifference(image, expected[index]!)).toBeLessThan(1e-6);
      });
    }
    expect(draws).toBeGreaterThanOrEqual(12);
    expect(mirrored).toBeGreaterThan(0);
    expect(mirrored).toBeLessThan(draws);
  });

  it('gives bit-identical batches (with flips and masks) for 0, 1 and 2 workers, and resumes exactly', async () => {
    // About 4 steps per epoch, so that resuming at step 2 of epoch 1 leaves steps to compare.
    const batchSize = Math.max(1, Math.floor(count / 4));
    const steps = Math.floor(count / batchSize);
    const sampler = new DistributedSampler({ size: count, batchSize, seed: 9 });
    const options = { source: tiny, sampler, seed: 3, mask: { ratio: 0.5 } } as const;
    const runs = await Promise.all([0, 1, 2].map((workers) => collect({ ...options, workers })));
    expect(runs[0]!.length).toBe(2 * steps); // 2 epochs
    for (const run of runs.slice(1)) {
      run.forEach((batch, i) => {
        expect([batch.epoch, batch.step]).toEqual([runs[0]![i]!.epoch, runs[0]![i]!.step]);
        expect([...batch.indices]).toEqual([...runs[0]![i]!.indices]);
        expect(Buffer.from(batch.images.buffer).equals(Buffer.from(runs[0]![i]!.images.buffer))).toBe(true);
      });
    }
    const resumed = await collect({ ...options, workers: 2 }, { epoch: 1, step: 2 });
    expect(resumed.length).toBe(steps - 2);
    expect(Buffer.from(resumed[0]!.images.buffer).equals(Buffer.from(runs[0]![steps + 2]!.images.buffer))).toBe(true);
  });

  it('masks about `ratio` of the images, on the lower face', async () => {
    // One batch per epoch, enough epochs for at least 48 draws.
    const epochs = Math.ceil(48 / count);
    const sampler = new DistributedSampler({ size: count, batchSize: count, seed: 0, shuffle: false });
    const unmasked = (await collect({ source: tiny, sampler, seed: 2, flip: false, mask: false, workers: 0 }, undefined, epochs)).map((b) => b.images);
    const masked = (await collect({ source: tiny, sampler, seed: 2, flip: false, mask: { ratio: 0.35 }, workers: 0 }, undefined, epochs)).map((b) => b.images);
    let maskedCount = 0;
    masked.forEach((images, epoch) => {
      for (let k = 0; k < count; k++) {
        const a = images.subarray(k * PIXELS, (k + 1) * PIXELS);
        const b = unmasked[epoch]!.subarray(k * PIXELS, (k + 1) * PIXELS);
        if (maxDifference(a, b) === 0) continue;
        maskedCount++;
        // The eye band (rows 40-60) is untouched far more than the mouth band (rows 85-100): a mask
        // reaches into the eye band's lowest rows at most (up to ~7% of its values changed, against
        // 59-78% of the mouth band's in the draws seen). Counting changed values, not the largest
        // change: one mask edge pixel in the eye band may change more than any mouth pixel.
        expect(changedFraction(a, b, 40, 60)).toBeLessThan(changedFraction(a, b, 85, 100) / 4);
      }
    });
    // epochs · count draws at p = 0.35 (48 draws: mean 16.8, sd 3.3, band [7, 26]).
    const [low, high] = threeSigmaBand(epochs * count, 0.35);
    expect(maskedCount).toBeGreaterThanOrEqual(low);
    expect(maskedCount).toBeLessThanOrEqual(high);
  });

  it('imageSize other than 112 with masking: flip and mask on the 112x112 crop, then resize (equal to resizing the 112 output)', async () => {
    const batchSize = Math.max(1, Math.floor(count / 2));
    const steps = Math.floor(count / batchSize);
    const sampler = new DistributedSampler({ size: count, batchSize, seed: 0, shuffle: true });
    const options = { source: tiny, sampler, seed: 5, mask: { ratio: 0.5 }, workers: 0 } as const;
    const full = await collect({ ...options }, undefined, 1);
    const small = await collect({ ...options, imageSize: [56, 48] }, undefined, 1);
    expect(small.map((b) => b.images.length)).toEqual(Array.from({ length: steps }, () => batchSize * 56 * 48 * 3));
    for (const [step, batch] of small.entries()) {
      expect(Array.from(batch.labels)).toEqual(Array.from(full[step]!.labels));
      for (let k = 0; k < batch.size; k++) {
        // The 112 output back to bytes (exact: x/127.5 - 1 of integers), resized by sharp independently.
        const bytes = Uint8Array.from(full[step]!.images.subarray(k * PIXELS, (k + 1) * PIXELS), (v) => Math.round((v + 1) * 127.5));
        const resized = await sharp(bytes, { raw: { width: CROP, height: CROP, channels: 3 } })
          .resize(48, 56, { fit: 'fill' })
          .raw()
          .toBuffer();
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
    await expect(failing.batches().next()).rejects.toMatchObject({
      code: 'IMAGE_DECODE_FAILED',
      message: expect.stringMatching(/train\.rec key 3 \(offset \d+\)/),
    });
    await failing.close();
    const skipping = new DataPipeline({ source, sampler, seed: 0, workers: 1, onError: 'skip' });
    const value = (await skipping.batches().next()).value as Batch;
    expect(value.size).toBe(2);
    expect([...value.indices]).toEqual([0, 1]);
    expect(value.skipped.map((s) => [s.index, s.code])).toEqual([
      [2, 'IMAGE_DECODE_FAILED'],
      [3, 'IMAGE_DECODE_FAILED'],
    ]);
    expect(value.skipped[0]!.origin).toContain('key 3');
    expect(skipping.skippedCount).toBe(2);
    await skipping.close();
  });

  it('applies back-pressure: no more than `prefetch` batches are requested ahead of the consumer', async () => {
    // About 6 batches, more than the 1 consumed + 2 prefetched the bound allows.
    const batchSize = Math.max(1, Math.floor(count / 6));
    expect(Math.floor(count / batchSize), 'tiny.rec must make more than 3 batches for this bound to mean anything').toBeGreaterThan(3);
    const sampler = new DistributedSampler({ size: count, batchSize, seed: 0 });
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
    const batchSize = Math.min(4, count);
    const script = `
      import { DataPipeline, DistributedSampler } from '@bigface/data';
      const sampler = new DistributedSampler({ size: ${count}, batchSize: ${batchSize}, seed: 0 });
      const pipeline = new DataPipeline({ source: { format: 'recordio', recordPath: ${JSON.stringify(tiny.recordPath)} }, sampler, seed: 0, workers: 2 });
      let n = 0;
      for await (const batch of pipeline.batches({ epoch: 0, step: 0 }, 1)) n += batch.size;
      console.log('images', n);`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.resolve(__dirname, '..'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    // One epoch of whole batches; and it exited by itself: the workers were closed only implicitly.
    expect(output.trim()).toBe(`images ${Math.floor(count / batchSize) * batchSize}`);
  });

  it('batchToTensors makes [B,112,112,3] float32 and [B] int32 tensors without leaks', async () => {
    const sampler = new DistributedSampler({ size: count, batchSize: 2, seed: 0 });
    const [batch] = await collect({ source: tiny, sampler, seed: 0, workers: 0, mask: false }, undefined, 1);
    const before = tf.memory().numTensors;
    const { images, labels } = batchToTensors(batch!);
    expect(images.shape).toEqual([2, CROP, CROP, 3]);
    expect([images.dtype, labels.dtype]).toEqual(['float32', 'int32']);
    expect(Array.from(labels.dataSync())).toEqual([...batch!.labels]);
    expect(images.dataSync()[5]).toBe(batch!.images[5]);
    tf.dispose([images, labels]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
