import { describe, expect, it } from 'vitest';
import { shardRange } from './shard-range';

describe('shardRange', () => {
  it('matches partial_fc_v2 on hand-worked cases', () => {
    // C = 10, W = 3: 10 // 3 = 3, 10 % 3 = 1 -> rank 0 owns 4 from 0; rank 1 owns 3 from 3·1 + 1 = 4; rank 2 owns 3 from 6 + 1 = 7.
    expect([0, 1, 2].map((r) => shardRange(10, 3, r))).toEqual([
      { start: 0, count: 4 },
      { start: 4, count: 3 },
      { start: 7, count: 3 },
    ]);
    expect(shardRange(8, 4, 3)).toEqual({ start: 6, count: 2 });
  });

  it('tiles [0, C) exactly, without gaps or overlaps, for many C and W', () => {
    for (let worldSize = 1; worldSize <= 9; worldSize++) {
      for (const numClasses of [worldSize, worldSize + 1, 17, 100, 2059906]) {
        let next = 0;
        for (let rank = 0; rank < worldSize; rank++) {
          const { start, count } = shardRange(numClasses, worldSize, rank);
          expect(start).toBe(next);
          expect(count === Math.floor(numClasses / worldSize) || count === Math.ceil(numClasses / worldSize)).toBe(true);
          next += count;
        }
        expect(next).toBe(numClasses);
      }
    }
  });

  it('rejects impossible arguments', () => {
    expect(() => shardRange(10, 3, 3)).toThrow(/rank must be an integer in \[0, 3\)/);
    expect(() => shardRange(0, 1, 0)).toThrow(/numClasses/);
  });
});
