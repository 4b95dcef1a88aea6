import { DistributedSampler } from '@bigface/data';
import { describe, expect, it } from 'vitest';
import { SubsetSampler } from './subset-sampler';

describe('SubsetSampler', () => {
  it('hands out the subset entries at the positions DistributedSampler picks, resumable per (epoch, step)', () => {
    const subset = Int32Array.from([3, 5, 8, 13, 21, 34, 55, 89, 144, 233]);
    for (const rank of [0, 1]) {
      const plain = new DistributedSampler({ size: subset.length, batchSize: 2, seed: 7, rank, worldSize: 2 });
      const mapped = new SubsetSampler(subset, { batchSize: 2, seed: 7, rank, worldSize: 2 });
      expect(mapped.stepsPerEpoch).toBe(2);
      for (const epoch of [0, 1, 4]) {
        for (let step = 0; step < 2; step++) {
          expect([...mapped.batch(epoch, step)]).toEqual([...plain.batch(epoch, step)].map((position) => subset[position]));
        }
      }
      const resumed = [...mapped.batches({ epoch: 1, step: 1 }, 2)].map((b) => [...b.indices]);
      expect(resumed).toEqual([[...mapped.batch(1, 1)]]);
    }
  });
});
