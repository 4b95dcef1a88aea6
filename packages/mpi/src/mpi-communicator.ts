import type { Communicator, GatheredArrays, NumericArray, ReduceOp } from '@bigface/backend';
import { allocateLike, assertRoot, dataTypeCode, evenCounts, reduceOpCode, reduceOpName, resolveCounts } from '@bigface/backend/communicator';
import { BigFaceError, assertArgument } from '@bigface/backend/errors';
import { loadMpiAddon, type MpiAddon } from './load-mpi-addon';

/** Options of {@link MpiCommunicator.create}. */
export interface MpiCommunicatorOptions {
  /**
   * A collective that waits longer than this for the other ranks throws COLLECTIVE_TIMEOUT and the
   * job is aborted when this process exits (default: `BIGFACE_MPI_TIMEOUT_MS`, else 600 000 = 10 min).
   */
  timeoutMs?: number;
  /**
   * Most elements one MPI call moves; larger buffers go in chunks, which keeps every MPI count and
   * displacement inside a C int (default 2^26 = 64 Mi elements; at most 2^31 − 1).
   */
  chunkElements?: number;
  /** Path of the native addon (default: this package's build/Release/bigface_mpi.node, or `BIGFACE_MPI_ADDON`). */
  addonPath?: string;
  /** @internal Largest displacement one all-gather may use before it goes through a scratch buffer (tests). */
  maxDisplacement?: number;
}

/** The default collective watchdog: 10 minutes. */
export const DEFAULT_MPI_TIMEOUT_MS = 10 * 60 * 1000;
/** The default chunk: 2^26 elements (256 MiB of float32). */
export const DEFAULT_CHUNK_ELEMENTS = 2 ** 26;

const INT_MAX = 2 ** 31 - 1;
const TYPE_NAMES = ['float32', 'int32', 'float64'] as const;
const KIND_NAMES = ['', 'barrier', 'allReduce', 'allGather', 'reduceScatter', 'broadcast'] as const;
const BARRIER = 1;
const ALL_REDUCE = 2;
const ALL_GATHER = 3;
const REDUCE_SCATTER = 4;
const BROADCAST = 5;

// Call descriptor, exchanged (all-gather) at the start of every collective: it is the length
// exchange of allGatherV, and it turns mismatched calls into a COLLECTIVE_MISMATCH on every rank
// instead of undefined behaviour inside MPI.
const FIELDS = 8;
const F_SEQUENCE = 0;
const F_KIND = 1;
const F_TYPE = 2;
const F_LENGTH = 3;
const F_OP = 4;
const F_ROOT = 5;
const F_COUNT = 6;

let instance: MpiCommunicator | undefined;

function prefixSums(counts: readonly number[]): number[] {
  const offsets: number[] = [];
  let total = 0;
  for (const count of counts) {
    offsets.push(total);
    total += count;
  }
  return offsets;
}

function positiveNumber(value: unknown, name: string, maximum = Infinity): number {
  assertArgument(
    typeof value === 'number' && value > 0 && value <= maximum,
    'INVALID_ARGUMENT',
    () => `MpiCommunicator.create: ${name} must be a positive number${maximum < Infinity ? ` ≤ ${maximum}` : ''}, got ${String(value)}`,
  );
  return value as number;
}

/**
 * A {@link Communicator} over MPI (OpenMPI through a native N-API addon), for ranks in separate
 * processes on one or many machines, launched by `mpirun`, Slurm's `srun` or a Kubernetes MPI
 * operator. Rank and world size come from MPI. Collectives run on the typed arrays' own memory.
 *
 * Semantics are exactly those of `ThreadCommunicator`: reductions combine ranks in rank order
 * 0..W−1 (each rank reduces one segment with an all-to-all, then an all-gather shares it), so
 * every rank gets bit-identical results, equal bit for bit to the worker-thread ranks' results;
 * `mean` is the sum divided by W (int32: truncated). Buffers larger than `chunkElements` are moved
 * in chunks so MPI's int counts never overflow.
 *
 * Failures never hang: MPI errors are returned (MPI_ERRORS_RETURN) and thrown as `MPI_ERROR`; a
 * collective that waits more than `timeoutMs` (a rank died or exited early) throws
 * `COLLECTIVE_TIMEOUT`, and a process that exits after such an error, or with a non-zero code,
 * calls MPI_Abort so that the whole job comes down. A clean exit calls MPI_Finalize.
 *
 * @example
 * // train.mjs, run as: mpirun -np 2 node train.mjs
 * import { MpiCommunicator } from '@bigface/mpi';
 * const communicator = MpiCommunicator.create();
 * const mean = communicator.allReduce(Float32Array.of(communicator.rank + 1, 10), 'mean');
 * // Float32Array [1.5, 10] on both ranks
 */
export class MpiCommunicator implements Communicator {
  readonly rank: number;
  readonly worldSize: number;
  /** The MPI library's version string (first line). */
  readonly libraryVersion: string;
  readonly timeoutMs: number;
  readonly chunkElements: number;
  private readonly addon: MpiAddon;
  private readonly maxDisplacement: number;
  private sequence = 0;
  private failure: string | undefined;
  private readonly descriptor = new Float64Array(FIELDS);
  private readonly descriptors: Float64Array;
  private readonly descriptorCounts: Int32Array;
  private readonly descriptorDisplacements: Int32Array;

  /**
   * Initialises MPI (once per process; later calls return the same communicator) and returns this
   * process's communicator. Throws `MPI_NOT_AVAILABLE` with the install command when the addon or
   * OpenMPI is missing.
   */
  static create(options: MpiCommunicatorOptions = {}): MpiCommunicator {
    if (instance) return instance;
    const environmentTimeout = process.env.BIGFACE_MPI_TIMEOUT_MS;
    const timeoutMs = positiveNumber(options.timeoutMs ?? (environmentTimeout ? Number(environmentTimeout) : DEFAULT_MPI_TIMEOUT_MS), 'timeoutMs');
    const chunkElements = Math.floor(positiveNumber(options.chunkElements ?? DEFAULT_CHUNK_ELEMENTS, 'chunkElements', INT_MAX));
    const maxDisplacement = Math.floor(positiveNumber(options.maxDisplacement ?? INT_MAX, 'maxDisplacement', INT_MAX));
    const addon = loadMpiAddon(options.addonPath);
    const [rank, worldSize, version] = addon.init(timeoutMs);
    instance = new MpiCommunicator(addon, rank, worldSize, version, timeoutMs, chunkElements, maxDisplacement);
    process.on('exit', (code) => {
      // The native atexit hook ends MPI after Node has printed any fatal error: MPI_Finalize on a
      // clean end, MPI_Abort of the whole job after an error, so that no rank waits for this one.
      if (code !== 0 || instance?.failure !== undefined) addon.markBroken();
    });
    return instance;
  }

  private constructor(addon: MpiAddon, rank: number, worldSize: number, version: string, timeoutMs: number, chunkElements: number, maxDisplacement: number) {
    this.addon = addon;
    this.rank = rank;
    this.worldSize = worldSize;
    this.libraryVersion = version.split('\n')[0]?.trim() ?? version;
    this.timeoutMs = timeoutMs;
    this.chunkElements = chunkElements;
    this.maxDisplacement = maxDisplacement;
    this.descriptors = new Float64Array(FIELDS * worldSize);
    this.descriptorCounts = new Int32Array(worldSize).fill(FIELDS);
    this.descriptorDisplacements = Int32Array.from({ length: worldSize }, (_, r) => r * FIELDS);
  }

  allReduce<T extends NumericArray>(data: T, op: ReduceOp = 'sum'): T {
    const name = 'allReduce';
    this.assertAlive(name);
    const type = dataTypeCode(data, name);
    const code = reduceOpCode(op, name);
    this.exchangeDescriptors(name, ALL_REDUCE, type, data.length, code, 0, 0, true, false);
    const output = allocateLike(data, data.length);
    const W = this.worldSize;
    for (let start = 0; start < data.length; start += this.chunkElements) {
      const length = Math.min(this.chunkElements, data.length - start);
      // Reduce-scatter by all-to-all (rank r gets segment r of every rank and reduces it in rank
      // order), then all-gather the reduced segments in place.
      const counts = evenCounts(length, W);
      const offsets = prefixSums(counts);
      const mine = counts[this.rank] as number;
      const stacked = this.scratch(data, W * mine);
      this.call(name, () =>
        this.addon.alltoallv(
          data.subarray(start, start + length),
          Int32Array.from(counts),
          Int32Array.from(offsets),
          stacked,
          new Int32Array(W).fill(mine),
          Int32Array.from({ length: W }, (_, r) => r * mine),
          this.timeoutMs,
        ),
      );
      const chunk = output.subarray(start, start + length);
      this.addon.reduce(stacked, W, code, chunk.subarray(offsets[this.rank], (offsets[this.rank] as number) + mine));
      this.call(name, () => this.addon.allgatherv(null, chunk, Int32Array.from(counts), Int32Array.from(offsets), this.timeoutMs));
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
    const name = 'reduceScatter';
    this.assertAlive(name);
    const type = dataTypeCode(data, name);
    const code = reduceOpCode(op, name);
    const W = this.worldSize;
    const resolved = resolveCounts(counts, data.length, W, name);
    const starts = prefixSums(resolved);
    const mine = starts[this.rank] as number;
    const mineEnd = mine + (resolved[this.rank] as number);
    const descriptors = this.exchangeDescriptors(name, REDUCE_SCATTER, type, data.length, code, 0, resolved[this.rank] as number, true, false);
    const announced = descriptors.map((d) => d[F_COUNT] as number);
    if (announced.some((count, r) => count !== resolved[r])) {
      throw new BigFaceError(
        'COLLECTIVE_MISMATCH',
        `reduceScatter: counts differ across ranks: rank ${this.rank} has [${resolved.join(', ')}] but the ranks' own counts are [${announced.join(', ')}]; pass the same counts on every rank`,
      );
    }
    const output = allocateLike(data, mineEnd - mine);
    // A chunk's share for one rank can be the whole chunk: keep W·chunk inside an int.
    const chunkElements = Math.max(1, Math.min(this.chunkElements, Math.floor(INT_MAX / W)));
    for (let start = 0; start < data.length; start += chunkElements) {
      const end = Math.min(data.length, start + chunkElements);
      const sendCounts = new Int32Array(W);
      const sendDisplacements = new Int32Array(W);
      for (let r = 0; r < W; r++) {
        const from = Math.max(starts[r] as number, start);
        const to = Math.min((starts[r] as number) + (resolved[r] as number), end);
        sendCounts[r] = Math.max(0, to - from);
        sendDisplacements[r] = Math.max(0, from - start);
      }
      const from = Math.max(mine, start);
      const piece = Math.max(0, Math.min(mineEnd, end) - from);
      const stacked = this.scratch(data, W * piece);
      this.call(name, () =>
        this.addon.alltoallv(
          data.subarray(start, end),
          sendCounts,
          sendDisplacements,
          stacked,
          new Int32Array(W).fill(piece),
          Int32Array.from({ length: W }, (_, r) => r * piece),
          this.timeoutMs,
        ),
      );
      if (piece > 0) this.addon.reduce(stacked, W, code, output.subarray(from - mine, from - mine + piece));
    }
    return output;
  }

  broadcast<T extends NumericArray>(data: T, root = 0): T {
    const name = 'broadcast';
    this.assertAlive(name);
    const type = dataTypeCode(data, name);
    assertRoot(root, this.worldSize, name);
    this.exchangeDescriptors(name, BROADCAST, type, data.length, 0, root, 0, true, true);
    const output = allocateLike(data, data.length);
    if (this.rank === root) output.set(data);
    for (let start = 0; start < data.length; start += this.chunkElements) {
      const chunk = output.subarray(start, Math.min(data.length, start + this.chunkElements));
      this.call(name, () => this.addon.bcast(chunk, root, this.timeoutMs));
    }
    return output;
  }

  barrier(): void {
    this.assertAlive('barrier');
    // The descriptor all-gather completes only when every rank has entered: it is the barrier.
    this.exchangeDescriptors('barrier', BARRIER, 0, 0, 0, 0, 0, false, false);
  }

  /** Aborts the whole MPI job at once (MPI_Abort) with the given exit code; does not return. */
  abort(code = 1): never {
    return this.addon.abort(code);
  }

  private gather<T extends NumericArray>(data: T, name: 'allGather' | 'allGatherV'): GatheredArrays<T> {
    this.assertAlive(name);
    const type = dataTypeCode(data, name);
    const descriptors = this.exchangeDescriptors(name, ALL_GATHER, type, data.length, 0, 0, 0, false, false);
    const counts = descriptors.map((d) => d[F_LENGTH] as number);
    const offsets = prefixSums(counts);
    const total = counts.reduce((a, b) => a + b, 0);
    const longest = Math.max(...counts);
    const output = allocateLike(data, total);
    const W = this.worldSize;
    const direct = total <= this.maxDisplacement;
    for (let start = 0; start < longest; start += this.chunkElements) {
      const pieces = counts.map((count) => Math.max(0, Math.min(this.chunkElements, count - start)));
      const send = data.subarray(Math.min(start, data.length), Math.min(data.length, start + this.chunkElements));
      if (direct) {
        // Straight into place: rank r's chunk lands at offsets[r] + start.
        const displacements = Int32Array.from(offsets, (offset) => offset + start);
        this.call(name, () => this.addon.allgatherv(send, output, Int32Array.from(pieces), displacements, this.timeoutMs));
      } else {
        // Offsets past an int: gather the chunk into a scratch buffer, then copy each rank's piece.
        const displacements = prefixSums(pieces);
        const scratch = this.scratch(
          data,
          pieces.reduce((a, b) => a + b, 0),
        );
        this.call(name, () => this.addon.allgatherv(send, scratch, Int32Array.from(pieces), Int32Array.from(displacements), this.timeoutMs));
        for (let r = 0; r < W; r++) {
          const piece = pieces[r] as number;
          if (piece > 0) output.set(scratch.subarray(displacements[r], (displacements[r] as number) + piece), (offsets[r] as number) + start);
        }
      }
    }
    return { data: output, counts };
  }

  private readonly scratchBuffers: [Float32Array, Int32Array, Float64Array, Uint16Array] = [
    new Float32Array(0),
    new Int32Array(0),
    new Float64Array(0),
    new Uint16Array(0),
  ];

  /** A reusable scratch array of `data`'s type with at least `length` elements (a view of exactly `length`). */
  private scratch<T extends NumericArray>(data: T, length: number): T {
    const type = dataTypeCode(data, 'scratch');
    let buffer = this.scratchBuffers[type] as NumericArray;
    if (buffer.length < length) {
      buffer = allocateLike(data, length);
      this.scratchBuffers[type] = buffer as never;
    }
    return buffer.subarray(0, length) as T;
  }

  private assertAlive(name: string): void {
    if (this.failure !== undefined) {
      throw new BigFaceError(
        'COLLECTIVE_ABORTED',
        `${name} on rank ${this.rank}: an earlier collective failed (${this.failure}), so this MPI job cannot continue; the job is aborted when this process exits`,
      );
    }
  }

  /** Runs one native collective and turns its failure string into a BigFaceError. */
  private call(name: string, run: () => string | undefined): void {
    const result = run();
    if (result === undefined) return;
    this.failure = `${name}: ${result}`;
    if (result.startsWith('TIMEOUT')) {
      const waited = result.slice('TIMEOUT '.length);
      throw new BigFaceError(
        'COLLECTIVE_TIMEOUT',
        `${name} on rank ${this.rank} of ${this.worldSize} timed out after ${waited} ms waiting for the other ranks: a rank died, exited early, ` +
          'or is stuck in another call. This MPI job cannot continue and is aborted (MPI_Abort) when this process exits; ' +
          'look for the first failing rank in the log, or raise timeoutMs / BIGFACE_MPI_TIMEOUT_MS if a rank is only slow',
      );
    }
    throw new BigFaceError(
      'MPI_ERROR',
      `${name} on rank ${this.rank} of ${this.worldSize} failed in MPI: ${result.replace(/^MPI_ERROR /, '')}; the job is aborted when this process exits`,
    );
  }

  /**
   * All-gathers every rank's call descriptor and checks that the calls match (kind, type and, as
   * asked, length, op and root); every rank sees the same descriptors, so every rank throws the
   * same COLLECTIVE_MISMATCH. Returns the descriptors by rank.
   */
  private exchangeDescriptors(
    name: string,
    kind: number,
    type: number,
    length: number,
    op: number,
    root: number,
    count: number,
    sameLength: boolean,
    sameRoot: boolean,
  ): Float64Array[] {
    const d = this.descriptor;
    d[F_SEQUENCE] = this.sequence++;
    d[F_KIND] = kind;
    d[F_TYPE] = type;
    d[F_LENGTH] = length;
    d[F_OP] = op;
    d[F_ROOT] = root;
    d[F_COUNT] = count;
    this.call(name, () => this.addon.allgatherv(d, this.descriptors, this.descriptorCounts, this.descriptorDisplacements, this.timeoutMs));
    const all: Float64Array[] = [];
    for (let r = 0; r < this.worldSize; r++) all.push(this.descriptors.slice(r * FIELDS, (r + 1) * FIELDS));
    const column = (field: number, format: (value: number) => string = String) => all.map((x) => format(x[field] as number));
    const differs = (field: number) => all.some((x) => x[field] !== all[0]![field]);
    const mismatch = (what: string, values: string[]) =>
      new BigFaceError(
        'COLLECTIVE_MISMATCH',
        `${KIND_NAMES[all[0]![F_KIND] as number]}: ${what} differ across ranks (by rank: ${values.join(', ')}); ` +
          'every rank must make the same collective calls in the same order, with matching arguments',
      );
    if (differs(F_KIND)) {
      throw new BigFaceError(
        'COLLECTIVE_MISMATCH',
        `collective call #${d[F_SEQUENCE]} differs across ranks (by rank: ${column(F_KIND, (k) => KIND_NAMES[k] ?? '?').join(', ')}); ` +
          'every rank must make the same collective calls in the same order',
      );
    }
    if (differs(F_TYPE))
      throw mismatch(
        'data types',
        column(F_TYPE, (t) => TYPE_NAMES[t] ?? '?'),
      );
    if (sameLength && differs(F_LENGTH)) throw mismatch('lengths', column(F_LENGTH));
    if ((kind === ALL_REDUCE || kind === REDUCE_SCATTER) && differs(F_OP))
      throw mismatch(
        'reduce ops',
        column(F_OP, (o) => reduceOpName(o)),
      );
    if (sameRoot && differs(F_ROOT)) throw mismatch('roots', column(F_ROOT));
    return all;
  }
}
