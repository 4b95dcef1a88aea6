import { describe, expect, it } from 'vitest';
import { DistributedSampler } from './distributed-sampler';

describe('DistributedSampler', () => {
  it('gives ranks disjoint, equally long shares that cover all but < W samples, reshuffled per epoch', () => {
    const size = 103;
    const worldSize = 4;
    const samplers = Array.from({ length: worldSize }, (_, rank) => new DistributedSampler({ size, batchSize: 5, seed: 7, rank, worldSize }));
    for (const epoch of [0, 1]) {
      const shares = samplers.map((s) => [...s.epochIndices(epoch)]);
      const all = shares.flat();
      expect(shares.every((share) => share.length === 25)).toBe(true); // floor(103 / 4)
      expect(new Set(all).size).toBe(100); // disjoint
      expect(all.every((i) => i >= 0 && i < size)).toBe(true);
    }
    expect([...samplers[0]!.epochIndices(0)]).not.toEqual([...samplers[0]!.epochIndices(1)]);
    expect(samplers[0]!.stepsPerEpoch).toBe(5);
  });

  it('is a pure function of (seed, epoch, step): resuming mid-run gives exactly the batches of an uninterrupted run', () => {
    const options = { size: 50, batchSize: 8, seed: 3, rank: 1, worldSize: 2 };
    const straight = [...take(new DistributedSampler(options).batches(), 10)];
    expect(straight.map((b) => [b.epoch, b.step]).slice(2, 5)).toEqual([
      [0, 2],
      [1, 0],
      [1, 1],
    ]); // 25 / 8 = 3 steps
    const resumed = [...take(new DistributedSampler(options).batches({ epoch: 1, step: 1 }), 6)];
    expect(resumed.map((b) => [...b.indices])).toEqual(straight.slice(4).map((b) => [...b.indices]));
    const otherSeed = new DistributedSampler({ ...options, seed: 4 });
    expect([...otherSeed.batch(0, 0)]).not.toEqual([...straight[0]!.indices]);
  });

  it('keeps dataset order without shuffle and can keep the partial batch', () => {
    const sampler = new DistributedSampler({ size: 10, batchSize: 4, seed: 0, shuffle: false, keepPartialBatch: true });
    expect([...sampler.batches({ epoch: 0, step: 0 }, 1)].map((b) => [...b.indices])).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(() => new DistributedSampler({ size: 10, batchSize: 4, seed: 0, rank: 2, worldSize: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

function* take<T>(iterable: Iterable<T>, count: number): Generator<T> {
  if (count <= 0) return;
  for (const item of iterable) {
    yield item;
    if (--count === 0) return;
  }
}
