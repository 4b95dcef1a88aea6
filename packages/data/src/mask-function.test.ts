import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { referenceFile, temporaryDirectory, threeSigmaBand, tinyRecReference } from '../test/reference';
import { type Batch, DataPipeline, type DataPipelineOptions } from './data-pipeline';
import { DistributedSampler } from './distributed-sampler';
import type { MaskFunction } from './mask-function';
import { RecordDataset } from './record-dataset';

const tiny = { format: 'recordio', recordPath: referenceFile('tiny.rec') } as const;
/** Images in tiny.rec: every sampler below is sized from it. */
const count = tinyRecReference().images.length;
/** The pipeline's crop (insightface's 112×112 aligned face), on which mask functions work. */
const CROP = 112;
const IMAGE = CROP * CROP * 3;
const FIRST_MASKED_ROW = 75;

// The same masking written twice: as a function here and as a module for the workers.
const blackOutLowerFace: MaskFunction = ({ data, width }) => data.fill(0, FIRST_MASKED_ROW * width * 3);
const MODULE_SOURCE = `export function blackOut({ data, width }) { return data.fill(0, ${FIRST_MASKED_ROW} * width * 3); }\n`;

async function collect(options: DataPipelineOptions, endEpoch = 1): Promise<Batch[]> {
  const pipeline = new DataPipeline(options);
  const batches: Batch[] = [];
  try {
    for await (const batch of pipeline.batches({ epoch: 0, step: 0 }, endEpoch)) batches.push(batch);
  } finally {
    await pipeline.close();
  }
  return batches;
}

/** tiny.rec decoded by plain sharp and normalised longhand: (x/255 - 0.5)/0.5. */
async function referencePixels(): Promise<Float32Array[]> {
  const dataset = RecordDataset.open(tiny.recordPath);
  const out: Float32Array[] = [];
  for (let i = 0; i < dataset.length; i++)
    out.push(Float32Array.from(await sharp(dataset.read(i).image).raw().toBuffer(), (value) => (value / 255 - 0.5) / 0.5));
  dataset.close();
  return out;
}

describe('DataPipeline mask seam (MaskFunction)', () => {
  it('calls the function on raw 112x112 RGB pixels at ratio 1: lower face black (-1), the rest untouched', async () => {
    const expected = await referencePixels();
    const seeds = new Set<number>();
    const apply: MaskFunction = (image, context) => {
      expect([image.width, image.height, image.channels, image.data.length]).toEqual([CROP, CROP, 3, IMAGE]);
      expect(context.origin).toMatch(/tiny\.rec/);
      seeds.add(context.seed);
      return blackOutLowerFace(image, context);
    };
    const batchSize = Math.min(4, count);
    const sampler = new DistributedSampler({ size: count, batchSize, seed: 1 });
    const batches = await collect({ source: tiny, sampler, seed: 4, flip: false, mask: { apply, ratio: 1 }, workers: 0 });
    expect(seeds.size).toBe(Math.floor(count / batchSize) * batchSize); // one seed per sample of the epoch's whole batches
    for (const batch of batches) {
      batch.indices.forEach((index, k) => {
        const image = batch.images.subarray(k * IMAGE, (k + 1) * IMAGE);
        const split = FIRST_MASKED_ROW * CROP * 3;
        let upper = 0;
        for (let i = 0; i < split; i++) upper = Math.max(upper, Math.abs(image[i]! - expected[index]![i]!));
        expect(upper).toBeLessThan(1e-6);
        expect(image.subarray(split).every((value) => value === -1)).toBe(true);
      });
    }
  });

  it('gives the same batches from a module in 2 workers as from the function in-process, masking about `ratio`', async () => {
    const directory = temporaryDirectory();
    const module = path.join(directory, 'black-out.mjs');
    writeFileSync(module, MODULE_SOURCE);
    // Two batches an epoch, enough epochs for at least 48 draws.
    const batchSize = Math.max(1, Math.floor(count / 2));
    const steps = Math.floor(count / batchSize);
    const epochs = Math.ceil(48 / (steps * batchSize));
    const sampler = new DistributedSampler({ size: count, batchSize, seed: 2 });
    const base = { source: tiny, sampler, seed: 8 } as const;
    const inProcess = await collect({ ...base, mask: { apply: blackOutLowerFace, ratio: 0.5 }, workers: 0 }, epochs);
    const inWorkers = await collect({ ...base, mask: { module, exportName: 'blackOut', ratio: 0.5 }, workers: 2 }, epochs);
    expect(inWorkers.length).toBe(epochs * steps);
    let masked = 0;
    inWorkers.forEach((batch, i) => {
      expect(Buffer.from(batch.images.buffer).equals(Buffer.from(inProcess[i]!.images.buffer))).toBe(true);
      for (let k = 0; k < batch.size; k++)
        if (
          batch.images
            .subarray(k * IMAGE, (k + 1) * IMAGE)
            .subarray(FIRST_MASKED_ROW * CROP * 3)
            .every((v) => v === -1)
        )
          masked++;
    });
    // epochs · steps · batchSize draws at p = 0.5 (48 draws: mean 24, sd 3.5, band [14, 34]).
    const [low, high] = threeSigmaBand(epochs * steps * batchSize, 0.5);
    expect(masked).toBeGreaterThanOrEqual(low);
    expect(masked).toBeLessThanOrEqual(high);
  });

  it('says how to fix a function sent to workers, a module without the export and a wrong-sized result', async () => {
    const sampler = new DistributedSampler({ size: count, batchSize: Math.min(4, count), seed: 1 });
    expect(() => new DataPipeline({ source: tiny, sampler, seed: 1, mask: { apply: blackOutLowerFace }, workers: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('mask: { module') }),
    );
    const directory = temporaryDirectory();
    const module = path.join(directory, 'no-default.mjs');
    writeFileSync(module, MODULE_SOURCE);
    await expect(collect({ source: tiny, sampler, seed: 1, mask: { module }, workers: 1 })).rejects.toMatchObject({
      code: 'MASK_MODULE_INVALID',
      message: expect.stringMatching(/no-default\.mjs.*export 'default'/),
    });
    const tooSmall: MaskFunction = () => new Uint8Array(3);
    await expect(collect({ source: tiny, sampler, seed: 1, mask: { apply: tooSmall, ratio: 1 }, workers: 0 })).rejects.toMatchObject({
      code: 'MASK_FUNCTION_INVALID',
      message: expect.stringMatching(new RegExp(`tiny\\.rec.*returned 3 bytes.*${IMAGE}`)),
    });
  });
});
