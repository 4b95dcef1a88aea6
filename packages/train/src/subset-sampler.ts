import { DistributedSampler, type DistributedSamplerOptions } from '@bigface/data';

/**
 * A {@link DistributedSampler} over a subset of a dataset: it shuffles and splits positions
 * 0..subset.length-1 exactly as DistributedSampler does, and hands out the dataset indices at
 * those positions — so held-out identities never reach training while batches stay a pure
 * function of (seed, epoch, step, rank, W).
 *
 * @example
 * const sampler = new SubsetSampler(Int32Array.of(0, 1, 2, 5, 8), { batchSize: 2, seed: 1 });
 * sampler.batch(0, 0); // two of 0, 1, 2, 5, 8
 */
export class SubsetSampler extends DistributedSampler {
  readonly subset: Int32Array;
  private mappedEpoch = -1;
  private mapped = new Int32Array(0);

  constructor(subset: Int32Array, options: Omit<DistributedSamplerOptions, 'size'>) {
    super({ ...options, size: subset.length });
    this.subset = subset;
  }

  override epochOrder(epoch: number): Int32Array {
    if (epoch !== this.mappedEpoch) {
      const positions = super.epochOrder(epoch);
      this.mapped = positions.map((position) => this.subset[position]!);
      this.mappedEpoch = epoch;
    }
    return this.mapped;
  }
}
