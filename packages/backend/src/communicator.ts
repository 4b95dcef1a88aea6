import { BigFaceError, assertArgument } from './errors';

/**
 * The typed arrays a {@link Communicator} moves: what `tensor.dataSync()` returns for float32/int32,
 * float64, and Uint16Array holding **bfloat16** bit patterns (half the bytes of float32: gradients in
 * mixed precision). Reductions of bfloat16 decode every rank's values, accumulate in float32 in rank
 * order and round the result once to bfloat16 (nearest even); gathers and broadcasts move the bits.
 */
export type NumericArray = Float32Array | Int32Array | Float64Array | Uint16Array;

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

const DATA_TYPES = ['float32', 'int32', 'float64', 'bfloat16'] as const;

/** 0 float32, 1 int32, 2 float64, 3 bfloat16 (Uint16Array); throws UNSUPPORTED_DATA_TYPE for anything else. @internal */
export function dataTypeCode(data: unknown, where: string): number {
  if (data instanceof Float32Array) return 0;
  if (data instanceof Int32Array) return 1;
  if (data instanceof Float64Array) return 2;
  if (data instanceof Uint16Array) return 3;
  const got = data === null || typeof data !== 'object' ? String(data) : (data.constructor?.name ?? 'object');
  throw new BigFaceError(
    'UNSUPPORTED_DATA_TYPE',
    `${where}: data must be a Float32Array, Int32Array, Float64Array or Uint16Array (bfloat16 bits), got ${got}; convert it first (for a tensor: tensor.dataSync() of a float32 or int32 tensor)`,
  );
}

/** Bytes per element of a data type code. @internal */
export function bytesPerElement(code: number): number {
  return code === 2 ? 8 : code === 3 ? 2 : 4;
}

const bfloat16Scratch = new Float32Array(1);
const bfloat16Words = new Uint32Array(bfloat16Scratch.buffer);

/**
 * float32 values → bfloat16 bits (round to nearest even; NaN stays a quiet NaN), for exchanging
 * gradients in half the bytes.
 *
 * @example
 * toBfloat16(Float32Array.of(1, 1.00390625)); // Uint16Array [0x3f80, 0x3f80] (ties to even)
 */
export function toBfloat16(values: Float32Array): Uint16Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < out.length; i++) {
    const word = words[i]!;
    out[i] =
      (word & 0x7f800000) === 0x7f800000 && word & 0x7fffff ? ((word >>> 16) | 0x40) & 0xffff : ((word + 0x7fff + ((word >>> 16) & 1)) / 0x10000) & 0xffff;
  }
  return out;
}

/** bfloat16 bits → float32 values (exact). */
export function fromBfloat16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) words[i] = bits[i]! << 16;
  return out;
}

/** One bfloat16 value (bits) as a number. @internal */
export function bfloat16Value(bits: number): number {
  bfloat16Words[0] = bits << 16;
  return bfloat16Scratch[0]!;
}

/** A float32 number → bfloat16 bits (nearest even). @internal */
export function bfloat16Bits(value: number): number {
  bfloat16Scratch[0] = value;
  const word = bfloat16Words[0]!;
  return (word & 0x7f800000) === 0x7f800000 && word & 0x7fffff ? ((word >>> 16) | 0x40) & 0xffff : ((word + 0x7fff + ((word >>> 16) & 1)) / 0x10000) & 0xffff;
}

/** The name of a data type code. @internal */
export function dataTypeName(code: number): string {
  return DATA_TYPES[code] ?? 'unknown';
}

/** A new, zero-filled array of the same type as `like`. @internal */
export function allocateLike<T extends NumericArray>(like: T, length: number): T {
  const ArrayType = like.constructor as new (length: number) => T;
  return new ArrayType(length);
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
    assertArgument(Number.isInteger(count) && count >= 0, 'INVALID_COUNTS', () => `${where}: counts must be non-negative integers, got [${counts.join(', ')}]`);
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
