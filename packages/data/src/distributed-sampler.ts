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

/**
 * A batch position: epoch and step within the epoch. `offset` (default 0) counts the samples of the
 * epoch's permutation consumed before step 0 — set when a run resumes mid-epoch with another global
 * batch (another world size or batch per rank): the steps then continue from that sample on.
 */
export interface SamplerPosition {
  epoch: number;
  step: number;
  offset?: number;
}

/**
 * Splits each epoch's seeded permutation of `0..size-1` among ranks: rank r takes positions
 * r, r+W, r+2W, ... of the first `W * floor(size / W)` (so ranks are disjoint and equally long;
 * at most W-1 samples sit out an epoch, different ones each epoch), and cuts its share into batches.
 * Equivalently, global step s is the contiguous slice `[s·G, (s+1)·G)` of the permutation (G = W ×
 * batch), dealt round-robin to the ranks — which is what lets a run resume at another world size:
 * {@link DistributedSampler.positionAfter} turns "this many samples of the epoch consumed" into a
 * position of this sampler. Any batch is a pure function of (seed, epoch, step, offset, rank, W):
 * resuming from a position is exact.
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
  private cachedIndices: Int32Array = new Int32Array(0);

  constructor(options: DistributedSamplerOptions) {
    this.size = options.size;
    this.batchSize = options.batchSize;
    this.seed = options.seed;
    this.rank = options.rank ?? 0;
    this.worldSize = options.worldSize ?? 1;
    this.shuffle = options.shuffle ?? true;
    this.keepPartialBatch = options.keepPartialBatch ?? false;
    assertArgument(
      Number.isInteger(this.size) && this.size >= 0,
      'INVALID_ARGUMENT',
      () => `DistributedSampler: size must be a non-negative integer, got ${this.size}`,
    );
    assertArgument(
      Number.isInteger(this.batchSize) && this.batchSize >= 1,
      'INVALID_ARGUMENT',
      () => `DistributedSampler: batchSize must be a positive integer, got ${this.batchSize}`,
    );
    assertArgument(Number.isInteger(this.seed), 'INVALID_SEED', () => `DistributedSampler: seed must be an integer, got ${this.seed}`);
    assertArgument(
      Number.isInteger(this.worldSize) && this.worldSize >= 1,
      'INVALID_ARGUMENT',
      () => `DistributedSampler: worldSize must be a positive integer, got ${this.worldSize}`,
    );
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

  /** Samples of all ranks per step (W × batch). */
  get globalBatchSize(): number {
    return this.worldSize * this.batchSize;
  }

  /** The whole permutation of `epoch` (every rank's samples), in order. Subclasses may map its values. */
  epochOrder(epoch: number): Int32Array {
    assertArgument(Number.isInteger(epoch) && epoch >= 0, 'INVALID_ARGUMENT', () => `DistributedSampler: epoch must be a non-negative integer, got ${epoch}`);
    if (epoch !== this.cachedEpoch) {
      this.cachedIndices = this.shuffle ? new Rng(hashSeed(this.seed, epoch)).permutation(this.size) : Int32Array.from({ length: this.size }, (_, i) => i);
      this.cachedEpoch = epoch;
    }
    return this.cachedIndices;
  }

  /** This rank's sample indices for `epoch`, in order. */
  epochIndices(epoch: number): Int32Array {
    const order = this.epochOrder(epoch);
    const mine = new Int32Array(this.samplesPerRank);
    for (let i = 0; i < mine.length; i++) mine[i] = order[this.rank + i * this.worldSize]!;
    return mine;
  }

  /** Steps of an epoch that starts `offset` samples in (the whole epoch: {@link stepsPerEpoch}). */
  stepsFrom(offset = 0): number {
    if (offset === 0) return this.stepsPerEpoch;
    assertArgument(
      Number.isInteger(offset) && offset > 0 && offset <= this.size,
      'INVALID_ARGUMENT',
      () => `DistributedSampler: offset must be an integer in [0, ${this.size}], got ${offset}`,
    );
    assertArgument(!this.keepPartialBatch, 'INVALID_ARGUMENT', () => 'DistributedSampler: an offset needs keepPartialBatch false (every global batch whole)');
    return Math.floor((this.size - offset) / this.globalBatchSize);
  }

  /** The indices of batch `step` of `epoch` on this rank (`offset`: see {@link SamplerPosition}). */
  batch(epoch: number, step: number, offset = 0): Int32Array {
    const steps = this.stepsFrom(offset);
    assertArgument(
      Number.isInteger(step) && step >= 0 && step < steps,
      'INVALID_ARGUMENT',
      () => `DistributedSampler: step must be an integer in [0, ${steps}), got ${step}`,
    );
    // Global step s is the slice [offset + s·G, offset + (s+1)·G) of the permutation, dealt round-robin.
    const order = this.epochOrder(epoch);
    const first = offset + step * this.globalBatchSize + this.rank;
    const count = offset === 0 ? Math.min(this.batchSize, this.samplesPerRank - step * this.batchSize) : this.batchSize;
    const indices = new Int32Array(count);
    for (let i = 0; i < count; i++) indices[i] = order[first + i * this.worldSize]!;
    return indices;
  }

  /** The position after `position` (next step, or step 0 of the next epoch). */
  next(position: SamplerPosition): SamplerPosition {
    const offset = position.offset ?? 0;
    if (position.step + 1 < this.stepsFrom(offset))
      return offset === 0 ? { epoch: position.epoch, step: position.step + 1 } : { epoch: position.epoch, step: position.step + 1, offset };
    return { epoch: position.epoch + 1, step: 0 };
  }

  /** Samples of `position`'s epoch (all ranks) consumed before its step: `offset + step × G`. */
  consumed(position: SamplerPosition): number {
    return (position.offset ?? 0) + position.step * this.globalBatchSize;
  }

  /**
   * This sampler's position once `consumed` samples of `epoch`'s permutation are used — e.g. by a
   * run at another world size ({@link consumed} of its sampler): the epoch continues from the next
   * sample, or the next epoch starts when fewer than one global batch is left.
   */
  positionAfter(epoch: number, consumed: number): SamplerPosition {
    assertArgument(
      Number.isInteger(consumed) && consumed >= 0,
      'INVALID_ARGUMENT',
      () => `DistributedSampler: consumed must be a non-negative integer, got ${consumed}`,
    );
    if (consumed === 0) return { epoch, step: 0 };
    if (consumed % this.globalBatchSize === 0 && consumed / this.globalBatchSize < this.stepsPerEpoch) return { epoch, step: consumed / this.globalBatchSize };
    if (consumed > this.size || this.stepsFrom(consumed) === 0) return { epoch: epoch + 1, step: 0 };
    return { epoch, step: 0, offset: consumed };
  }

  /** Batches from `start` (default epoch 0, step 0) up to, not including, epoch `endEpoch` (default: forever). */
  *batches(start: SamplerPosition = { epoch: 0, step: 0 }, endEpoch = Infinity): Generator<SamplerPosition & { indices: Int32Array }> {
    if (this.stepsPerEpoch === 0) return;
    let position = start;
    while (position.epoch < endEpoch) {
      if (this.stepsFrom(position.offset ?? 0) > 0) yield { ...position, indices: this.batch(position.epoch, position.step, position.offset ?? 0) };
      position = this.next(position);
    }
  }
}
