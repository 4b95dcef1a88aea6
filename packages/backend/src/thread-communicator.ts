import {
  allocateLike,
  assertRoot,
  bfloat16Bits,
  bfloat16Value,
  bytesPerElement,
  dataTypeCode,
  dataTypeName,
  evenCounts,
  reduceOpCode,
  reduceOpName,
  resolveCounts,
  type Communicator,
  type GatheredArrays,
  type NumericArray,
  type ReduceOp,
} from './communicator';
import { BigFaceError, assertArgument } from './errors';

/**
 * The shared memory of one group of {@link ThreadCommunicator} ranks, made by
 * {@link ThreadCommunicator.allocate} and handed to every rank's worker (SharedArrayBuffers are
 * shared, not copied, by `postMessage` / `workerData`).
 */
export interface ThreadCommunicatorMemory {
  worldSize: number;
  /** Bytes of one rank's slot in the data arena; larger payloads are moved in chunks of this size. */
  slotBytes: number;
  /** Barrier counter, generation, abort flag, per-rank arrival counters and states, call descriptors. */
  control: SharedArrayBuffer;
  /** One slot per rank plus one result slot. */
  arena: SharedArrayBuffer;
}

/** Options of {@link ThreadCommunicator}. */
export interface ThreadCommunicatorOptions {
  /** A collective that waits longer than this for the other ranks throws COLLECTIVE_TIMEOUT (default 600 000 = 10 min). */
  timeoutMs?: number;
}

/** The default slot size: 4 MiB per rank. */
export const DEFAULT_SLOT_BYTES = 4 * 1024 * 1024;
/** The default collective watchdog: 10 minutes. */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

// Control block (Int32Array words).
const COUNT = 0; // ranks arrived at the current barrier
const GENERATION = 1; // barrier generation, bumped by the last arriver; waiters wait on it
const ABORT = 2; // 0, or 1 + the rank that failed first
const HEADER_WORDS = 4;
// then: arrivals[worldSize] (barriers entered per rank), states[worldSize] (1 once the rank returned)
const RANK_RETURNED = 1;

// Call descriptors (Float64Array, 2 buffers by call parity x worldSize x fields): written before a
// collective's first barrier, read after it, so that mismatched calls fail with a clear message.
const FIELDS = 8;
const F_SEQUENCE = 0;
const F_KIND = 1;
const F_TYPE = 2;
const F_LENGTH = 3;
const F_OP = 4;
const F_ROOT = 5;
const F_COUNT = 6;

const KIND_NAMES = ['', 'barrier', 'allReduce', 'allGather', 'reduceScatter', 'broadcast'] as const;
const BARRIER = 1;
const ALL_REDUCE = 2;
const ALL_GATHER = 3;
const REDUCE_SCATTER = 4;
const BROADCAST = 5;

const OP_SUM = 0;
const OP_MAX = 1;
const OP_MIN = 2;
const OP_MEAN = 3;

/** Bounded wait: how often a blocked rank re-checks the abort flag and the watchdog, in ms. */
const WAIT_SLICE_MS = 100;
/** Loads of the generation word before a blocked rank sleeps (cheap barriers when ranks are close). */
const SPIN = 200;

function controlLayout(worldSize: number) {
  const arrivals = HEADER_WORDS;
  const states = arrivals + worldSize;
  const words = states + worldSize;
  const descriptorByteOffset = Math.ceil((words * 4) / 8) * 8;
  const descriptorLength = 2 * worldSize * FIELDS;
  return { arrivals, states, descriptorByteOffset, descriptorLength, bytes: descriptorByteOffset + descriptorLength * 8 };
}

function assertWorldSize(worldSize: unknown, where: string): asserts worldSize is number {
  assertArgument(
    Number.isInteger(worldSize) && (worldSize as number) >= 1,
    'INVALID_WORLD_SIZE',
    () => `${where}: worldSize must be an integer >= 1, got ${String(worldSize)}`,
  );
}

/**
 * Marks the group of `memory` as failed because of `failingRank` and wakes every blocked rank, whose
 * collectives then throw COLLECTIVE_ABORTED. Safe from any thread, the main thread included. Only
 * the first failure is recorded.
 * @internal
 */
export function abortGroup(memory: ThreadCommunicatorMemory, failingRank: number): void {
  const control = new Int32Array(memory.control);
  Atomics.compareExchange(control, ABORT, 0, failingRank + 1);
  Atomics.notify(control, GENERATION);
}

/** The rank that failed first in the group of `memory`, or -1. @internal */
export function abortedBy(memory: ThreadCommunicatorMemory): number {
  return Atomics.load(new Int32Array(memory.control), ABORT) - 1;
}

/**
 * A {@link Communicator} for ranks that run in worker threads of one process, talking through
 * SharedArrayBuffers and Atomics: a control block (a generation-counting barrier, an abort flag,
 * per-rank arrival counters) and a data arena with one slot per rank. Every collective writes this
 * rank's contribution to its slot, waits at a barrier, reads or reduces, and waits at a barrier;
 * payloads larger than a slot go in chunks. A reduction is computed once (each rank reduces one
 * segment, in rank order) and copied by all, so results are bit-identical on every rank.
 *
 * Collectives block the calling thread with `Atomics.wait`, so ranks must run in worker threads:
 * start them with `launchRanks`, which also handles failures (a rank that throws makes every other
 * rank's collective throw COLLECTIVE_ABORTED at once). Blocked ranks re-check the abort flag every
 * 100 ms and give up after `timeoutMs` (COLLECTIVE_TIMEOUT, naming the ranks that did not arrive).
 *
 * @example
 * // main thread: launchRanks does this for you
 * const memory = ThreadCommunicator.allocate(2);
 * // each worker (workerData = { memory, rank }):
 * const communicator = new ThreadCommunicator(workerData.memory, workerData.rank);
 * const sum = communicator.allReduce(Float32Array.of(1, 2, 3), 'sum');
 */
export class ThreadCommunicator implements Communicator {
  readonly rank: number;
  readonly worldSize: number;
  private readonly memory: ThreadCommunicatorMemory;
  private readonly timeoutMs: number;
  private readonly control: Int32Array;
  private readonly descriptors: Float64Array;
  private readonly arrivals: number;
  private readonly states: number;
  private readonly views: [Float32Array, Int32Array, Float64Array, Uint16Array];
  private sequence = 0;

  /**
   * Allocates the shared memory of a group of `worldSize` ranks, with `slotBytes` per rank
   * (default 4 MiB, rounded up to a multiple of 8).
   */
  static allocate(worldSize: number, options: { slotBytes?: number } = {}): ThreadCommunicatorMemory {
    assertWorldSize(worldSize, 'ThreadCommunicator.allocate');
    const requested = options.slotBytes ?? DEFAULT_SLOT_BYTES;
    assertArgument(
      Number.isInteger(requested) && requested >= 8,
      'INVALID_SLOT_BYTES',
      () => `ThreadCommunicator.allocate: slotBytes must be an integer >= 8, got ${String(requested)}`,
    );
    const slotBytes = Math.ceil(requested / 8) * 8;
    return {
      worldSize,
      slotBytes,
      control: new SharedArrayBuffer(controlLayout(worldSize).bytes),
      arena: new SharedArrayBuffer(slotBytes * (worldSize + 1)),
    };
  }

  constructor(memory: ThreadCommunicatorMemory, rank: number, options: ThreadCommunicatorOptions = {}) {
    assertWorldSize(memory?.worldSize, 'ThreadCommunicator');
    assertArgument(
      memory.control instanceof SharedArrayBuffer && memory.arena instanceof SharedArrayBuffer,
      'INVALID_MEMORY',
      () => 'ThreadCommunicator: memory must come from ThreadCommunicator.allocate()',
    );
    assertArgument(
      Number.isInteger(rank) && rank >= 0 && rank < memory.worldSize,
      'INVALID_RANK',
      () => `ThreadCommunicator: rank must be an integer in 0..${memory.worldSize - 1}, got ${String(rank)}`,
    );
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    assertArgument(
      typeof timeoutMs === 'number' && timeoutMs > 0,
      'INVALID_TIMEOUT',
      () => `ThreadCommunicator: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`,
    );
    this.memory = memory;
    this.rank = rank;
    this.worldSize = memory.worldSize;
    this.timeoutMs = timeoutMs;
    const layout = controlLayout(memory.worldSize);
    this.control = new Int32Array(memory.control, 0, layout.states + memory.worldSize);
    this.descriptors = new Float64Array(memory.control, layout.descriptorByteOffset, layout.descriptorLength);
    this.arrivals = layout.arrivals;
    this.states = layout.states;
    this.views = [new Float32Array(memory.arena), new Int32Array(memory.arena), new Float64Array(memory.arena), new Uint16Array(memory.arena)];
  }

  allReduce<T extends NumericArray>(data: T, op: ReduceOp = 'sum'): T {
    this.assertAlive('allReduce');
    const type = dataTypeCode(data, 'allReduce');
    const opCode = reduceOpCode(op, 'allReduce');
    const view = this.views[type] as NumericArray;
    const slotElements = this.slotElements(type);
    const resultBase = this.worldSize * slotElements;
    const output = allocateLike(data, data.length);
    const chunks = Math.max(1, Math.ceil(data.length / slotElements));
    for (let chunk = 0; chunk < chunks; chunk++) {
      const start = chunk * slotElements;
      const length = Math.min(slotElements, data.length - start);
      view.set(data.subarray(start, start + length), this.rank * slotElements);
      if (chunk === 0) this.describe(ALL_REDUCE, type, data.length, opCode, 0, 0);
      this.wait('allReduce');
      if (chunk === 0) this.checkDescriptors(true, false);
      // This rank reduces one segment of the chunk (in rank order) into the result slot.
      const counts = evenCounts(length, this.worldSize);
      let from = 0;
      for (let r = 0; r < this.rank; r++) from += counts[r] as number;
      reduceRange(view, slotElements, this.worldSize, from, from + (counts[this.rank] as number), opCode, type === 1, view, resultBase + from);
      this.wait('allReduce');
      // The result slot is rewritten only after the next chunk's first barrier: all ranks copy before.
      output.set(view.subarray(resultBase, resultBase + length), start);
    }
    return output;
  }

  allGather<T extends NumericArray>(data: T): T {
    return this.gather(data, 'allGather').data;
  }

  allGatherV<T extends NumericArray>(data: T): GatheredArrays<T> {
    return this.gather(data, 'allGatherV');
  }

  reduceScatter<T extends NumericArray>(data: T, op: ReduceOp = 'sum', counts?: readonly number[]): T {
    this.assertAlive('reduceScatter');
    const type = dataTypeCode(data, 'reduceScatter');
    const opCode = reduceOpCode(op, 'reduceScatter');
    const resolved = resolveCounts(counts, data.length, this.worldSize, 'reduceScatter');
    let mine = 0;
    for (let r = 0; r < this.rank; r++) mine += resolved[r] as number;
    const mineEnd = mine + (resolved[this.rank] as number);
    const view = this.views[type] as NumericArray;
    const slotElements = this.slotElements(type);
    const output = allocateLike(data, mineEnd - mine);
    const chunks = Math.max(1, Math.ceil(data.length / slotElements));
    for (let chunk = 0; chunk < chunks; chunk++) {
      const start = chunk * slotElements;
      const length = Math.min(slotElements, data.length - start);
      view.set(data.subarray(start, start + length), this.rank * slotElements);
      if (chunk === 0) this.describe(REDUCE_SCATTER, type, data.length, opCode, 0, resolved[this.rank] as number);
      this.wait('reduceScatter');
      if (chunk === 0) {
        this.checkDescriptors(true, false);
        this.checkCounts(resolved);
      }
      const from = Math.max(mine, start);
      const to = Math.min(mineEnd, start + length);
      if (to > from) reduceRange(view, slotElements, this.worldSize, from - start, to - start, opCode, type === 1, output, from - mine);
      this.wait('reduceScatter');
    }
    return output;
  }

  broadcast<T extends NumericArray>(data: T, root = 0): T {
    this.assertAlive('broadcast');
    const type = dataTypeCode(data, 'broadcast');
    assertRoot(root, this.worldSize, 'broadcast');
    const view = this.views[type] as NumericArray;
    const slotElements = this.slotElements(type);
    const output = allocateLike(data, data.length);
    const chunks = Math.max(1, Math.ceil(data.length / slotElements));
    for (let chunk = 0; chunk < chunks; chunk++) {
      const start = chunk * slotElements;
      const length = Math.min(slotElements, data.length - start);
      if (this.rank === root) view.set(data.subarray(start, start + length), root * slotElements);
      if (chunk === 0) this.describe(BROADCAST, type, data.length, 0, root, 0);
      this.wait('broadcast');
      if (chunk === 0) this.checkDescriptors(true, true);
      if (this.rank === root) output.set(data.subarray(start, start + length), start);
      else output.set(view.subarray(root * slotElements, root * slotElements + length), start);
      this.wait('broadcast');
    }
    return output;
  }

  barrier(): void {
    this.assertAlive('barrier');
    this.describe(BARRIER, 0, 0, 0, 0, 0);
    this.wait('barrier');
    this.checkDescriptors(false, false);
  }

  /**
   * Marks this rank as failed and wakes every blocked rank (their collectives throw
   * COLLECTIVE_ABORTED). `launchRanks` calls it when the rank function throws.
   */
  abort(): void {
    abortGroup(this.memory, this.rank);
  }

  /** Marks this rank as returned: a rank still waiting for it in a collective then throws instead of waiting. @internal */
  markReturned(): void {
    Atomics.store(this.control, this.states + this.rank, RANK_RETURNED);
    Atomics.notify(this.control, GENERATION);
  }

  private gather<T extends NumericArray>(data: T, name: 'allGather' | 'allGatherV'): GatheredArrays<T> {
    this.assertAlive(name);
    const type = dataTypeCode(data, name);
    const view = this.views[type] as NumericArray;
    const slotElements = this.slotElements(type);
    const first = Math.min(slotElements, data.length);
    view.set(data.subarray(0, first), this.rank * slotElements);
    this.describe(ALL_GATHER, type, data.length, 0, 0, 0);
    this.wait(name);
    const descriptors = this.checkDescriptors(false, false);
    const counts = descriptors.map((descriptor) => descriptor[F_LENGTH] as number);
    const offsets: number[] = [];
    let total = 0;
    let longest = 0;
    for (const count of counts) {
      offsets.push(total);
      total += count;
      longest = Math.max(longest, count);
    }
    const output = allocateLike(data, total);
    const chunks = Math.max(1, Math.ceil(longest / slotElements));
    for (let chunk = 0; chunk < chunks; chunk++) {
      const start = chunk * slotElements;
      if (chunk > 0) {
        if (start < data.length) view.set(data.subarray(start, Math.min(data.length, start + slotElements)), this.rank * slotElements);
        this.wait(name);
      }
      for (let r = 0; r < this.worldSize; r++) {
        const length = Math.min(slotElements, (counts[r] as number) - start);
        if (length <= 0) continue;
        const target = (offsets[r] as number) + start;
        if (r === this.rank) output.set(data.subarray(start, start + length), target);
        else output.set(view.subarray(r * slotElements, r * slotElements + length), target);
      }
      this.wait(name);
    }
    return { data: output, counts };
  }

  private slotElements(type: number): number {
    return this.memory.slotBytes / bytesPerElement(type);
  }

  private assertAlive(name: string): void {
    const failed = Atomics.load(this.control, ABORT) - 1;
    if (failed >= 0) throw this.abortedError(name, failed);
  }

  private abortedError(name: string, failed: number): BigFaceError {
    return new BigFaceError('COLLECTIVE_ABORTED', `${name} on rank ${this.rank} aborted: rank ${failed} failed, so the group stopped (see that rank's error)`);
  }

  private describe(kind: number, type: number, length: number, op: number, root: number, count: number): void {
    const base = ((this.sequence & 1) * this.worldSize + this.rank) * FIELDS;
    const d = this.descriptors;
    d[base + F_SEQUENCE] = this.sequence;
    d[base + F_KIND] = kind;
    d[base + F_TYPE] = type;
    d[base + F_LENGTH] = length;
    d[base + F_OP] = op;
    d[base + F_ROOT] = root;
    d[base + F_COUNT] = count;
  }

  /**
   * After a collective's first barrier: every rank's call must match rank 0's (kind, type, and as
   * asked length, op, root). Every rank reads the same descriptors, so every rank throws the same
   * COLLECTIVE_MISMATCH. Advances the call sequence and returns the descriptors of all ranks.
   */
  private checkDescriptors(sameLength: boolean, sameRoot: boolean): Float64Array[] {
    const parity = this.sequence & 1;
    this.sequence++;
    const all: Float64Array[] = [];
    for (let r = 0; r < this.worldSize; r++) {
      const base = (parity * this.worldSize + r) * FIELDS;
      all.push(this.descriptors.subarray(base, base + FIELDS));
    }
    const mismatch = (what: string, values: string[]) =>
      new BigFaceError(
        'COLLECTIVE_MISMATCH',
        `${KIND_NAMES[all[0]![F_KIND] as number]}: ${what} differ across ranks (by rank: ${values.join(', ')}); ` +
          'every rank must make the same collective calls in the same order, with matching arguments',
      );
    const column = (field: number, format: (value: number) => string = String) => all.map((d) => format(d[field] as number));
    const differs = (field: number) => all.some((d) => d[field] !== all[0]![field]);
    if (differs(F_KIND)) {
      throw new BigFaceError(
        'COLLECTIVE_MISMATCH',
        `collective call #${all[0]![F_SEQUENCE]} differs across ranks (by rank: ${column(F_KIND, (k) => KIND_NAMES[k] ?? '?').join(', ')}); ` +
          'every rank must make the same collective calls in the same order',
      );
    }
    if (differs(F_TYPE)) throw mismatch('data types', column(F_TYPE, dataTypeName));
    if (sameLength && differs(F_LENGTH)) throw mismatch('lengths', column(F_LENGTH));
    const kind = all[0]![F_KIND];
    if ((kind === ALL_REDUCE || kind === REDUCE_SCATTER) && differs(F_OP)) throw mismatch('reduce ops', column(F_OP, reduceOpName));
    if (sameRoot && differs(F_ROOT)) throw mismatch('roots', column(F_ROOT));
    return all;
  }

  private checkCounts(counts: readonly number[]): void {
    const parity = (this.sequence - 1) & 1;
    const announced: number[] = [];
    for (let r = 0; r < this.worldSize; r++) announced.push(this.descriptors[(parity * this.worldSize + r) * FIELDS + F_COUNT] as number);
    if (announced.some((count, r) => count !== counts[r])) {
      throw new BigFaceError(
        'COLLECTIVE_MISMATCH',
        `reduceScatter: counts differ across ranks: rank ${this.rank} has [${counts.join(', ')}] but the ranks' own counts are [${announced.join(', ')}]; pass the same counts on every rank`,
      );
    }
  }

  /** The barrier: generation counting, with bounded waits that watch the abort flag and the watchdog. */
  private wait(name: string): void {
    const control = this.control;
    const arrived = Atomics.add(control, this.arrivals + this.rank, 1) + 1;
    const generation = Atomics.load(control, GENERATION);
    if (Atomics.add(control, COUNT, 1) + 1 === this.worldSize) {
      Atomics.store(control, COUNT, 0);
      Atomics.add(control, GENERATION, 1);
      Atomics.notify(control, GENERATION);
      return;
    }
    for (let spin = 0; spin < SPIN; spin++) if (Atomics.load(control, GENERATION) !== generation) return;
    const started = Date.now();
    for (;;) {
      Atomics.wait(control, GENERATION, generation, WAIT_SLICE_MS);
      if (Atomics.load(control, GENERATION) !== generation) return;
      const failed = Atomics.load(control, ABORT) - 1;
      if (failed >= 0) throw this.abortedError(name, failed);
      const missing: number[] = [];
      const returned: number[] = [];
      for (let r = 0; r < this.worldSize; r++) {
        if (Atomics.load(control, this.arrivals + r) === arrived) continue;
        missing.push(r);
        if (Atomics.load(control, this.states + r) === RANK_RETURNED) returned.push(r);
      }
      if (returned.length > 0) {
        throw new BigFaceError(
          'COLLECTIVE_MISMATCH',
          `${name} on rank ${this.rank}: rank${returned.length > 1 ? 's' : ''} ${returned.join(', ')} returned from the rank function ` +
            'without making this call; every rank must make the same collective calls',
        );
      }
      const waited = Date.now() - started;
      if (waited >= this.timeoutMs) {
        throw new BigFaceError(
          'COLLECTIVE_TIMEOUT',
          `${name} on rank ${this.rank} timed out after ${waited} ms: rank${missing.length > 1 ? 's' : ''} ${missing.join(', ')} did not arrive; ` +
            'check that every rank makes the same collective calls, or raise timeoutMs',
        );
      }
    }
  }
}

/**
 * out[outOffset + i] = op over ranks 0..worldSize-1 (in that order) of slot_r[from + i], i < to - from.
 * Float sums round at every step exactly as float32/float64 arithmetic does (the typed array store
 * rounds); int32 sums wrap. max/min propagate NaN.
 */
function reduceRange(
  view: NumericArray,
  slotElements: number,
  worldSize: number,
  from: number,
  to: number,
  op: number,
  integer: boolean,
  out: NumericArray,
  outOffset: number,
): void {
  const n = to - from;
  if (n <= 0) return;
  if (view instanceof Uint16Array) {
    reduceBfloat16Range(view, slotElements, worldSize, from, n, op, out as Uint16Array, outOffset);
    return;
  }
  // Zero-based views keep the inner loops to one index (measurably faster than offset indexing).
  const target = out.subarray(outOffset, outOffset + n);
  target.set(view.subarray(from, to));
  for (let r = 1; r < worldSize; r++) {
    const source = view.subarray(r * slotElements + from, r * slotElements + to);
    if (op === OP_SUM || op === OP_MEAN) {
      for (let i = 0; i < n; i++) target[i]! += source[i] as number;
    } else if (op === OP_MAX) {
      for (let i = 0; i < n; i++) {
        const value = source[i] as number;
        if (value > (target[i] as number) || Number.isNaN(value)) target[i] = value;
      }
    } else if (op === OP_MIN) {
      for (let i = 0; i < n; i++) {
        const value = source[i] as number;
        if (value < (target[i] as number) || Number.isNaN(value)) target[i] = value;
      }
    }
  }
  if (op === OP_MEAN) {
    if (integer) for (let i = 0; i < n; i++) target[i] = Math.trunc((target[i] as number) / worldSize);
    else for (let i = 0; i < n; i++) target[i] = (target[i] as number) / worldSize;
  }
}

/**
 * {@link reduceRange} for bfloat16 bits: decode, accumulate in float32 in rank order (max/min compare
 * values, NaN wins), mean = sum / W in float32, then one rounding to bfloat16.
 */
function reduceBfloat16Range(
  view: Uint16Array,
  slotElements: number,
  worldSize: number,
  from: number,
  n: number,
  op: number,
  out: Uint16Array,
  outOffset: number,
): void {
  const accumulator = new Float32Array(n);
  for (let i = 0; i < n; i++) accumulator[i] = bfloat16Value(view[from + i]!);
  for (let r = 1; r < worldSize; r++) {
    const base = r * slotElements + from;
    for (let i = 0; i < n; i++) {
      const value = bfloat16Value(view[base + i]!);
      if (op === OP_SUM || op === OP_MEAN) accumulator[i]! += value;
      else if (op === OP_MAX ? value > accumulator[i]! || Number.isNaN(value) : value < accumulator[i]! || Number.isNaN(value)) accumulator[i] = value;
    }
  }
  if (op === OP_MEAN) for (let i = 0; i < n; i++) accumulator[i] = accumulator[i]! / worldSize;
  for (let i = 0; i < n; i++) out[outOffset + i] = bfloat16Bits(accumulator[i]!);
}
