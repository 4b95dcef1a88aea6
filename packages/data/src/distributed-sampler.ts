import { assertArgument } from '@bigface/backend/errors';
import { hashSeed, Rng } from '@bigface/backend/random';

/** Options of {@link DistributedSampler}. */
export interface DistributedSamplerOptions {
  /** Number of samples in the dataset. */
  size: number;
  /** Samples per batch on this rank. */
  batchSize: number;
  /** The run's seed: the epoch-e order is a function of (seed, e) only. */
  seed: number;
  /** This rank (default 0) of `worldSize` ranks (default 1). */
  rank?: number;
  worldSize?: number;
  /** Reshuffle every epoch (default true); false keeps dataset order. */
  shuffle?: boolean;
  /** Keep the last, smaller batch of an epoch (default false, like insightface's `drop_last=True`). */
  keepPartialBatch?: boolean;
}

/** A batch position: epoch and step within the epoch. */
export interface SamplerPosition {
  epoch: number;
  step: number;
}

/**
 * Splits each epoch's seeded permutation of `0..size-1` among ranks: rank r takes positions
 * r, r+W, r+2W, ... of the first `W * floor(size / W)` (so ranks are disjoint and equally long;
 * at most W-1 samples sit out an epoch, different ones each epoch), and cuts its share into batches.
 * Any batch is a pure function of (seed, epoch, step, rank, W): resuming from (epoch, step) is exact.
 *
 * @example
 * import { DistributedSampler } from '@bigface/data';
 * const sampler = new DistributedSampler({ size: 10_000, batchSize: 128, seed: 42, rank: 0, worldSize: 4 });
 * for (const { epoch, step, indices } of sampler.batches({ epoch: 3, step: 17 })) { ... }
 */
export class DistributedSampler {
  readonly size: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly rank: number;
  readonly worldSize: number;
  readonly shuffle: boolean;
  readonly keepPartialBatch: boolean;
  private cachedEpoch = -1;
  private cachedIndices = new Int32Array(0);

  constructor(options: DistributedSamplerOptions) {
    this.size = options.size;
    this.batchSize = options.batchSize;
    this.seed = options.seed;
    this.rank = options.rank ?? 0;
    this.worldSize = options.worldSize ?? 1;
    this.shuffle = options.shuffle ?? true;
    this.keepPartialBatch = options.keepPartialBatch ?? false;
    assertArgument(Number.isInteger(this.size) && this.size >= 0, 'INVALID_ARGUMENT', () => `DistributedSampler: size must be a non-negative integer, got ${this.size}`);
    assertArgument(Number.isInteger(this.batchSize) && this.batchSize >= 1, 'INVALID_ARGUMENT', () => `DistributedSampler: batchSize must be a positive integer, got ${this.batchSize}`);
    assertArgument(Number.isInteger(this.seed), 'INVALID_SEED', () => `DistributedSampler: seed must be an integer, got ${this.seed}`);
    assertArgument(Number.isInteger(this.worldSize) && this.worldSize >= 1, 'INVALID_ARGUMENT', () => `DistributedSampler: worldSize must be a positive integer, got ${this.worldSize}`);
    assertArgument(
      Number.isInteger(this.rank) && this.rank >= 0 && this.rank < this.worldSize,
      'INVALID_ARGUMENT',
      () => `DistributedSampler: rank must be an integer in [0, ${this.worldSize}), got ${this.rank}`,
    );
  }

  /** Samples this rank sees per epoch. */
  get samplesPerRank(): number {
    return Math.floor(this.size / this.worldSize);
  }

  /** Batches per epoch on every rank. */
  get stepsPerEpoch(): number {
    const samples = this.samplesPerRank;
    return this.keepPartialBatch ? Math.ceil(samples / this.batchSize) : Math.floor(samples / this.batchSize);
  }

  /** This rank's sample indices for `epoch`, in order. */
  epochIndices(epoch: number): Int32Array {
    assertArgument(Number.isInteger(epoch) && epoch >= 0, 'INVALID_ARGUMENT', () => `DistributedSampler: epoch must be a non-negative integer, got ${epoch}`);
    if (epoch !== this.cachedEpoch) {
      const order = this.shuffle ? new Rng(hashSeed(this.seed, epoch)).permutation(this.size) : Int32Array.from({ length: this.size }, (_, i) => i);
      const mine = new Int32Array(this.samplesPerRank);
      for (let i = 0; i < mine.length; i++) mine[i] = order[this.rank + i * this.worldSize]!;
      this.cachedEpoch = epoch;
      this.cachedIndices = mine;
    }
    return this.cachedIndices;
  }

  /** The indices of batch `step` of `epoch` on this rank. */
  batch(epoch: number, step: number): Int32Array {
    assertArgument(
      Number.isInteger(step) && step >= 0 && step < this.stepsPerEpoch,
      'INVALID_ARGUMENT',
      () => `DistributedSampler: step must be an integer in [0, ${this.stepsPerEpoch}), got ${step}`,
    );
    return this.epochIndices(epoch).slice(step * this.batchSize, Math.min((step + 1) * this.batchSize, this.samplesPerRank));
  }

  /** The position after `position` (next step, or step 0 of the next epoch). */
  next(position: SamplerPosition): SamplerPosition {
    return position.step + 1 < this.stepsPerEpoch ? { epoch: position.epoch, step: position.step + 1 } : { epoch: position.epoch + 1, step: 0 };
  }

  /** Batches from `start` (default epoch 0, step 0) up to, not including, epoch `endEpoch` (default: forever). */
  *batches(start: SamplerPosition = { epoch: 0, step: 0 }, endEpoch = Infinity): Generator<SamplerPosition & { indices: Int32Array }> {
    if (this.stepsPerEpoch === 0) return;
    let position = start;
    while (position.epoch < endEpoch) {
      yield { ...position, indices: this.batch(position.epoch, position.step) };
      position = this.next(position);
    }
  }
}
