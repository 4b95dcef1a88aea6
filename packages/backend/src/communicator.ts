import { BigFaceError, assertArgument } from './errors';

/** The typed arrays a {@link Communicator} moves: what `tensor.dataSync()` returns for float32/int32, plus float64. */
export type NumericArray = Float32Array | Int32Array | Float64Array;

/**
 * Element-wise reduction of a collective. `mean` is the sum divided by the world size (on
 * `Int32Array` the int32 sum divided and truncated toward zero).
 */
export type ReduceOp = 'sum' | 'max' | 'min' | 'mean';

/** The result of {@link Communicator.allGatherV}: the concatenation and each rank's length. */
export interface GatheredArrays<T extends NumericArray = NumericArray> {
  /** Every rank's array, concatenated in rank order 0..worldSize-1. */
  data: T;
  /** `counts[r]` elements of `data` came from rank r (they start at the sum of the counts before r). */
  counts: number[];
}

/**
 * Synchronous (blocking) collectives over `worldSize` ranks. Synchronous because the collectives
 * sit inside tfjs autodiff, whose gradient functions are synchronous.
 *
 * Every rank must call the same collectives in the same order. Reductions combine the ranks in
 * rank order 0..worldSize-1 (never arrival order), so results are deterministic and bit-identical
 * on every rank — every rank's copy of replicated weights stays identical. Every method returns a
 * new array of the input's type; inputs are never modified.
 *
 * Implementations: {@link SingleCommunicator} (one rank) and `ThreadCommunicator` (ranks in worker
 * threads, started by `launchRanks`).
 *
 * @example
 * // inside a rank function started by launchRanks({ worldSize: 2, module: './rank.mjs' })
 * export default function rank(communicator) {
 *   const gradient = Float32Array.of(communicator.rank + 1, 10);
 *   return communicator.allReduce(gradient, 'mean'); // Float32Array [1.5, 10] on both ranks
 * }
 */
export interface Communicator {
  /** This rank, 0..worldSize-1. */
  readonly rank: number;
  /** The number of ranks. */
  readonly worldSize: number;
  /** Element-wise reduction over ranks; every rank passes the same type and length and gets the same result. */
  allReduce<T extends NumericArray>(data: T, op?: ReduceOp): T;
  /** Concatenation of every rank's array in rank order; lengths may differ between ranks (types may not). */
  allGather<T extends NumericArray>(data: T): T;
  /** Like {@link Communicator.allGather}, also returning how many elements each rank contributed. */
  allGatherV<T extends NumericArray>(data: T): GatheredArrays<T>;
  /**
   * This rank's slice of the element-wise reduction. Every rank passes the same type and length;
   * `counts[r]` elements go to rank r (default: an even split where the first `length % worldSize`
   * ranks get one element more — the rule PartialFC shards classes by). `counts` must sum to the length.
   */
  reduceScatter<T extends NumericArray>(data: T, op?: ReduceOp, counts?: readonly number[]): T;
  /**
   * A copy of rank `root`'s array on every rank. Every rank passes an array of the same type and
   * length; the contents of the non-root arrays are ignored (pass `new Float32Array(n)`).
   */
  broadcast<T extends NumericArray>(data: T, root?: number): T;
  /** Returns once every rank has called it. */
  barrier(): void;
}

const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'max', 'min', 'mean'];

/** Index of the reduce op (its code in shared memory); throws UNKNOWN_REDUCE_OP for anything else. @internal */
export function reduceOpCode(op: unknown, where: string): number {
  const code = REDUCE_OPS.indexOf(op as ReduceOp);
  if (code < 0) {
    throw new BigFaceError('UNKNOWN_REDUCE_OP', `${where}: unknown reduce op '${String(op)}': choose one of ${REDUCE_OPS.join(', ')}`);
  }
  return code;
}

/** The reduce op with the given code. @internal */
export function reduceOpName(code: number): ReduceOp {
  return REDUCE_OPS[code] ?? ('unknown' as ReduceOp);
}

const DATA_TYPES = ['float32', 'int32', 'float64'] as const;

/** 0 float32, 1 int32, 2 float64; throws UNSUPPORTED_DATA_TYPE for anything else. @internal */
export function dataTypeCode(data: unknown, where: string): number {
  if (data instanceof Float32Array) return 0;
  if (data instanceof Int32Array) return 1;
  if (data instanceof Float64Array) return 2;
  const got = data === null || typeof data !== 'object' ? String(data) : (data.constructor?.name ?? 'object');
  throw new BigFaceError(
    'UNSUPPORTED_DATA_TYPE',
    `${where}: data must be a Float32Array, Int32Array or Float64Array, got ${got}; convert it first (for a tensor: tensor.dataSync() of a float32 or int32 tensor)`,
  );
}

/** The name of a data type code. @internal */
export function dataTypeName(code: number): string {
  return DATA_TYPES[code] ?? 'unknown';
}

/** A new, zero-filled array of the same type as `like`. @internal */
export function allocateLike<T extends NumericArray>(like: T, length: number): T {
  const constructor = like.constructor as new (length: number) => T;
  return new constructor(length);
}

/** Splits `total` into `parts` counts, the first `total % parts` one larger (PartialFC's shard rule). @internal */
export function evenCounts(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return Array.from({ length: parts }, (_, index) => base + (index < extra ? 1 : 0));
}

/** Validates `counts` for reduceScatter, or returns the even split. @internal */
export function resolveCounts(counts: readonly number[] | undefined, length: number, worldSize: number, where: string): number[] {
  if (counts === undefined) return evenCounts(length, worldSize);
  assertArgument(
    Array.isArray(counts) && counts.length === worldSize,
    'INVALID_COUNTS',
    () => `${where}: counts must be an array of one count per rank (${worldSize}), got ${Array.isArray(counts) ? `${counts.length} entries` : String(counts)}`,
  );
  let sum = 0;
  for (const count of counts) {
    assertArgument(
      Number.isInteger(count) && count >= 0,
      'INVALID_COUNTS',
      () => `${where}: counts must be non-negative integers, got [${counts.join(', ')}]`,
    );
    sum += count;
  }
  assertArgument(
    sum === length,
    'INVALID_COUNTS',
    () => `${where}: counts [${counts.join(', ')}] sum to ${sum} but the data has ${length} elements; make them sum to the data length`,
  );
  return [...counts];
}

/** Throws INVALID_ROOT unless `root` is a rank. @internal */
export function assertRoot(root: unknown, worldSize: number, where: string): asserts root is number {
  assertArgument(
    Number.isInteger(root) && (root as number) >= 0 && (root as number) < worldSize,
    'INVALID_ROOT',
    () => `${where}: root must be an integer rank in 0..${worldSize - 1}, got ${String(root)}`,
  );
}
