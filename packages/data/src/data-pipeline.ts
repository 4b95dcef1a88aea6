import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BigFaceError } from '@bigface/backend/errors';
import type { AugmentOptions } from './augment-options';
import type { DatasetSource } from './dataset-source';
import type { DistributedSampler, SamplerPosition } from './distributed-sampler';
import type { MaskFunction, MaskFunctionOption } from './mask-function';
import { createBatchProcessor, type ProcessedBatch, type ProcessorOptions, type SkippedSample } from './process-batch';
import { openSampleReader } from './sample-reader';

/** One training batch: NHWC float32 pixels normalised to [-1, 1], int32 labels and the sample indices. */
export interface Batch {
  epoch: number;
  step: number;
  /** The sampler position's offset (a run resumed at another global batch), when not 0. */
  offset?: number;
  /** `[size, height, width, 3]` row-major. */
  images: Float32Array;
  labels: Int32Array;
  /** Dataset index of each sample, in batch order. */
  indices: Int32Array;
  /** Number of samples (less than the sampler's batch when samples were skipped). */
  size: number;
  height: number;
  width: number;
  /** Samples of this batch left out in "skip" mode. */
  skipped: SkippedSample[];
}

/** Options of {@link DataPipeline}. */
export interface DataPipelineOptions extends Omit<AugmentOptions, 'mask'> {
  /**
   * Masked-face augmentation: `{ ratio?, mix? }` uses `@bigface/mask-synth` (default `{ ratio: 0.35 }`);
   * `{ apply, ratio? }` calls your {@link MaskFunction} on raw pixels (with `workers: 0`);
   * `{ module, exportName?, ratio? }` loads it from a module in every worker; `false` turns it off.
   */
  mask?: AugmentOptions['mask'] | MaskFunctionOption;
  /** What to read: `RecordDataset.source`, or `{ format: 'files', samples }` for image folders and list files. */
  source: DatasetSource;
  /** Which samples form which batch (rank, world size, epoch order, resume position). */
  sampler: DistributedSampler;
  /** Worker threads (default 2); 0 processes on the calling thread. Results do not depend on it. */
  workers?: number;
  /** Batches in flight ahead of the consumer (default 2 per worker, at least 2). */
  prefetch?: number;
  /** 'throw' (default): a bad sample stops the run; 'skip': it is left out, counted and reported. */
  onError?: 'throw' | 'skip';
}

/**
 * The training input pipeline: the sampler's batches are read, decoded (sharp), flipped at random,
 * masked at ratio 0.35 by `@bigface/mask-synth` (or by your own {@link MaskFunction}), normalised to (x/255 - 0.5)/0.5 and packed into NHWC
 * float32 batches, in worker threads, with up to `prefetch` batches in flight (back-pressure: no more
 * is read until the consumer takes a batch). Batches arrive in sampler order, and every per-sample
 * random choice comes from `Rng.derive(seed, epoch, index)`, so the output is identical for any
 * number of workers.
 *
 * @example
 * import { DataPipeline, DistributedSampler, RecordDataset, batchToTensors } from '@bigface/data';
 * const dataset = RecordDataset.open('train.rec');
 * const sampler = new DistributedSampler({ size: dataset.length, batchSize: 128, seed: 1 });
 * const pipeline = new DataPipeline({ source: dataset.source, sampler, seed: 1, workers: 2 });
 * for await (const batch of pipeline.batches({ epoch: 0, step: 0 }, 1)) {
 *   const { images, labels } = batchToTensors(batch); // tf tensors [B,112,112,3], [B]
 *   images.dispose(); labels.dispose();
 * }
 * await pipeline.close();
 */
export class DataPipeline {
  /** Samples skipped so far ("skip" mode). */
  skippedCount = 0;
  /** The most recent skipped samples (up to 100), for reporting. */
  readonly skippedSamples: SkippedSample[] = [];
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (batch: ProcessedBatch) => void; reject: (error: Error) => void }>();
  private inProcess: ReturnType<typeof createBatchProcessor> | null = null;
  private nextId = 0;
  private closed = false;
  private failure: BigFaceError | null = null;
  private readonly height: number;
  private readonly width: number;
  private readonly prefetch: number;

  constructor(private readonly options: DataPipelineOptions) {
    const workerCount = options.workers ?? 2;
    if (!Number.isInteger(workerCount) || workerCount < 0)
      throw new BigFaceError('INVALID_ARGUMENT', `DataPipeline: workers must be a non-negative integer, got ${workerCount}`);
    if (!Number.isInteger(options.seed)) throw new BigFaceError('INVALID_SEED', `DataPipeline: seed must be an integer, got ${options.seed}`);
    [this.height, this.width] = options.imageSize ?? [112, 112];
    this.prefetch = Math.max(1, options.prefetch ?? Math.max(2, 2 * workerCount));
    let mask = options.mask;
    if (typeof mask === 'object' && 'apply' in mask && workerCount > 0) {
      throw new BigFaceError(
        'INVALID_ARGUMENT',
        `DataPipeline: mask.apply is a function and cannot be sent to ${workerCount} worker thread(s); use workers: 0, or export it from a module and pass mask: { module: '/absolute/path/mask.mjs', ratio }`,
      );
    }
    // Workers resolve paths from their own module: make a relative mask module absolute here.
    if (typeof mask === 'object' && 'module' in mask && !mask.module.startsWith('file:')) mask = { ...mask, module: path.resolve(mask.module) };
    const augment: ProcessorOptions = { seed: options.seed, flip: options.flip, mask, imageSize: options.imageSize };
    const onError = options.onError ?? 'throw';
    if (workerCount === 0) {
      this.inProcess = createBatchProcessor(openSampleReader(options.source), augment, onError);
      return;
    }
    const entry = workerEntry();
    for (let i = 0; i < workerCount; i++) {
      // Flags meant for the main script (`node --input-type=module -e ...`) make a worker fail to start.
      const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
      const worker = new Worker(entry, { workerData: { source: options.source, augment, onError }, execArgv });
      worker.on('message', (message: { id: number; result?: ProcessedBatch; error?: { code: string; message: string } }) => {
        const waiting = this.pending.get(message.id);
        if (waiting === undefined) return;
        this.pending.delete(message.id);
        this.updateReferences();
        if (message.error) waiting.reject(new BigFaceError(message.error.code, message.error.message));
        else waiting.resolve(message.result!);
      });
      worker.on('error', (error) => {
        this.failure = new BigFaceError('WORKER_FAILED', `DataPipeline: a worker thread died: ${error.message}; create a new pipeline`, { cause: error });
        this.failAll(this.failure);
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Batches from `start` (default epoch 0, step 0) up to, not including, `endEpoch` (default: forever). */
  async *batches(start: SamplerPosition = { epoch: 0, step: 0 }, endEpoch = Infinity): AsyncGenerator<Batch> {
    const positions = this.options.sampler.batches(start, endEpoch);
    const queue: { epoch: number; step: number; offset?: number; result: Promise<ProcessedBatch> }[] = [];
    const fill = () => {
      while (queue.length < this.prefetch) {
        const next = positions.next();
        if (next.done) return;
        const { epoch, step, offset, indices } = next.value;
        const result = this.process(epoch, indices);
        result.catch(() => {}); // observed when its turn comes
        queue.push({ epoch, step, ...(offset ? { offset } : {}), result });
      }
    };
    fill();
    while (queue.length > 0) {
      const { epoch, step, offset, result } = queue.shift()!;
      const processed = await result;
      fill();
      if (processed.skipped.length > 0) {
        this.skippedCount += processed.skipped.length;
        this.skippedSamples.push(...processed.skipped);
        this.skippedSamples.splice(0, Math.max(0, this.skippedSamples.length - 100));
      }
      yield { epoch, step, ...(offset ? { offset } : {}), ...processed, size: processed.labels.length, height: this.height, width: this.width };
    }
  }

  private process(epoch: number, indices: Int32Array): Promise<ProcessedBatch> {
    if (this.closed) return Promise.reject(new BigFaceError('PIPELINE_CLOSED', 'DataPipeline: the pipeline is closed; create a new one'));
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.inProcess !== null) return this.inProcess(epoch, indices);
    const id = this.nextId++;
    // Round-robin by request order: every worker computes the same thing for the same batch.
    const worker = this.workers[id % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.updateReferences();
      worker.postMessage({ id, epoch, indices });
    });
  }

  /** Idle workers must not keep the process alive; busy ones must (or a script exits mid-batch). */
  private updateReferences(): void {
    for (const worker of this.workers) {
      if (this.pending.size > 0) worker.ref();
      else worker.unref();
    }
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    this.updateReferences();
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new BigFaceError('PIPELINE_CLOSED', 'DataPipeline: closed while batches were in flight'));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.workers.length = 0;
  }
}

/** The built worker file; from sources (tests) fall back to the package's dist. */
function workerEntry(): URL {
  const here = new URL('./pipeline-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../dist/pipeline-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new BigFaceError(
    'WORKER_NOT_BUILT',
    `DataPipeline: cannot find the worker entry pipeline-worker.js next to ${fileURLToPath(import.meta.url)} or in ../dist; run 'pnpm build' in packages/data`,
  );
}
