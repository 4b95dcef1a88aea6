import { assertArgument } from '@bigface/backend';

/** The classes one rank owns: `[start, start + count)`. */
export interface ShardRange {
  start: number;
  count: number;
}

/**
 * Which class centres rank `rank` of `worldSize` owns. The split of insightface's partial_fc_v2:
 * rank r owns `C // W + (r < C % W)` classes starting at `(C // W)·r + min(r, C % W)`.
 *
 * @example
 * shardRange(10, 3, 0); // { start: 0, count: 4 }
 * shardRange(10, 3, 2); // { start: 7, count: 3 }
 */
export function shardRange(numClasses: number, worldSize: number, rank: number): ShardRange {
  assertArgument(
    Number.isInteger(numClasses) && numClasses > 0,
    'INVALID_ARGUMENT',
    () => `shardRange: numClasses must be a positive integer, got ${numClasses}`,
  );
  assertArgument(Number.isInteger(worldSize) && worldSize > 0, 'INVALID_ARGUMENT', () => `shardRange: worldSize must be a positive integer, got ${worldSize}`);
  assertArgument(
    Number.isInteger(rank) && rank >= 0 && rank < worldSize,
    'INVALID_ARGUMENT',
    () => `shardRange: rank must be an integer in [0, ${worldSize}), got ${rank}`,
  );
  const base = Math.floor(numClasses / worldSize);
  const remainder = numClasses % worldSize;
  return { start: base * rank + Math.min(rank, remainder), count: base + (rank < remainder ? 1 : 0) };
}
