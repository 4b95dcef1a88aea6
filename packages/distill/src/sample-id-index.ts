import { createHash } from 'node:crypto';
import { BigFaceError } from '@bigface/backend/errors';

/** Rows are stored as Uint32: a cache holds fewer than 2^32 samples (WebFace260M has 2.6·10^8). */
const MAX_ROWS = 0xffffffff;
const NO_ROW = 0xffffffff;
/** Ids hashed per chunk when the sorted ids are generated rather than stored (dense index). */
const HASH_CHUNK = 65536;

/**
 * Row of each sample id of a teacher-embedding cache, for any number of rows: a JS `Map` stops at
 * 2^24 (16.7M) entries, far below WebFace42M's 42M images, so the ids live in typed arrays instead.
 *
 * - **dense** (the ids are exactly 0..N−1, in any order — dataset indices): `id → row` is one array
 *   read (no array at all when they are in order);
 * - **sorted** (anything else, e.g. RecordIO keys 1..N): the ids sorted once (a `Float64Array`, no
 *   copy when they are stored sorted already) and a binary search, O(log N) per lookup, with the rows in id order beside them
 *   when the stored order is not sorted.
 *
 * Memory besides the stored ids: nothing when they are stored in order; 4 bytes an id for dense ids
 * out of order; 12 for sparse ids out of order (a sorted copy and the rows, built by a linear-time
 * radix sort that needs 24 bytes an id while it runs). Ids are non-negative safe integers; a
 * repeated id is an error (`TEACHER_CACHE_BAD_ID`).
 *
 * @example
 * const index = new SampleIdIndex(Float64Array.from([40, 10, 30]));
 * index.rowOf(30); // 2
 * index.rowOf(20); // -1 (absent)
 */
export class SampleIdIndex {
  /** Number of ids. */
  readonly count: number;
  /** How lookups work: `'dense'` (ids 0..N−1) or `'sorted'` (binary search). */
  readonly kind: 'dense' | 'sorted';
  /** The ids in ascending order (sorted kind only). */
  private readonly sorted?: Float64Array;
  /** Row of the id at each position of the id order; absent when that is the identity. */
  private readonly rows?: Uint32Array;
  private readonly source: string;

  /**
   * @param ids the sample id of each row, in stored order (kept by reference when already sorted: do not modify it).
   * @param source names the cache in error messages.
   */
  constructor(ids: Float64Array, source = 'teacher cache') {
    this.source = source;
    const count = ids.length;
    if (count > MAX_ROWS) {
      throw new BigFaceError(
        'TEACHER_CACHE_BAD_ID',
        `${source}: ${count} rows is more than the ${MAX_ROWS} one cache can index; split the dataset into several caches`,
      );
    }
    this.count = count;
    let inOrder = true;
    let maximum = -1;
    for (let row = 0; row < count; row += 1) {
      const id = ids[row]!;
      if (!(Number.isSafeInteger(id) && id >= 0)) badId(source, id);
      if (id <= maximum) inOrder = false;
      else maximum = id;
    }
    if (inOrder && (count === 0 || ids[count - 1] === count - 1)) {
      // Strictly increasing from ≥ 0 and ending at N − 1: exactly 0..N−1 in order.
      this.kind = 'dense';
      return;
    }
    if (maximum === count - 1 && !inOrder) {
      const rows = new Uint32Array(count).fill(NO_ROW);
      let dense = true;
      for (let row = 0; row < count; row += 1) {
        const id = ids[row]!;
        if (rows[id] !== NO_ROW) {
          dense = false; // a repeated id: the sorted path below reports it
          break;
        }
        rows[id] = row;
      }
      if (dense) {
        this.kind = 'dense';
        this.rows = rows;
        return;
      }
    }
    this.kind = 'sorted';
    if (inOrder) {
      this.sorted = ids;
      return;
    }
    const { sorted, rows } = sortWithRows(ids);
    for (let position = 1; position < count; position += 1) {
      if (sorted[position] === sorted[position - 1]) {
        throw new BigFaceError(
          'TEACHER_CACHE_BAD_ID',
          `${source}: sample id ${sorted[position]} appears twice in the dataset; ids must be unique (e.g. RecordIO keys or dataset indices)`,
        );
      }
    }
    this.sorted = sorted;
    this.rows = rows;
  }

  /** The row of `id`, or −1 when the index does not hold it. */
  rowOf(id: number): number {
    let position: number;
    if (this.kind === 'dense') {
      if (!(Number.isInteger(id) && id >= 0 && id < this.count)) return -1;
      position = id;
    } else {
      if (!Number.isSafeInteger(id)) return -1; // NaN would stop the binary search anywhere
      position = search(this.sorted!, id);
      if (position < 0) return -1;
    }
    return this.rows === undefined ? position : this.rows[position]!;
  }

  /** Whether the index holds `id`. */
  has(id: number): boolean {
    return this.rowOf(id) >= 0;
  }

  /** The row of `id`; a `TEACHER_CACHE_MISSING_ID` error when absent. */
  requireRow(id: number): number {
    const row = this.rowOf(id);
    if (row < 0) {
      throw new BigFaceError(
        'TEACHER_CACHE_MISSING_ID',
        `${this.source}: no embedding for sample id ${id}; the cache holds ${this.count} samples of another dataset or split`,
      );
    }
    return row;
  }

  /** {@link idsFingerprint} of the ids, without sorting them again. */
  fingerprint(): string {
    const hash = createHash('sha256');
    if (this.kind === 'sorted') {
      const sorted = this.sorted!;
      hash.update(new Uint8Array(sorted.buffer, sorted.byteOffset, sorted.byteLength));
    } else {
      const chunk = new Float64Array(HASH_CHUNK);
      for (let start = 0; start < this.count; start += HASH_CHUNK) {
        const size = Math.min(HASH_CHUNK, this.count - start);
        for (let k = 0; k < size; k += 1) chunk[k] = start + k;
        hash.update(new Uint8Array(chunk.buffer, 0, size * 8));
      }
    }
    return hash.digest('hex');
  }
}

function badId(source: string, id: number): never {
  throw new BigFaceError('TEACHER_CACHE_BAD_ID', `${source}: sample ids must be non-negative safe integers (RecordIO keys or dataset indices), got ${id}`);
}

const RADIX = 65536;
const TWO_32 = 4294967296;

/**
 * The ids in ascending order with the row each came from: an LSD radix sort on 16-bit digits of the
 * id (a safe integer < 2^53, so four digits; passes where every id has the same digit are skipped),
 * carrying the rows along. Linear in N with sequential passes: sorting the ids with
 * `Float64Array#sort` and then binary-searching each row's position costs ~10× more at 10^7 ids.
 */
function sortWithRows(ids: Float64Array): { sorted: Float64Array; rows: Uint32Array } {
  const count = ids.length;
  let keys = Float64Array.from(ids);
  let rows = new Uint32Array(count);
  for (let row = 0; row < count; row += 1) rows[row] = row;
  let spareKeys = new Float64Array(count);
  let spareRows = new Uint32Array(count);
  const histogram = new Float64Array(RADIX);
  const digit = (id: number, pass: number): number => {
    const word = pass < 2 ? id % TWO_32 : Math.floor(id / TWO_32);
    return pass % 2 === 0 ? word & 0xffff : word >>> 16;
  };
  for (let pass = 0; pass < 4; pass += 1) {
    histogram.fill(0);
    for (let k = 0; k < count; k += 1) histogram[digit(keys[k]!, pass)]! += 1;
    if (histogram[digit(keys[0]!, pass)] === count) continue; // one digit value: this pass would not move anything
    let total = 0;
    for (let value = 0; value < RADIX; value += 1) {
      const size = histogram[value]!;
      histogram[value] = total;
      total += size;
    }
    for (let k = 0; k < count; k += 1) {
      const key = keys[k]!;
      const target = histogram[digit(key, pass)]!++;
      spareKeys[target] = key;
      spareRows[target] = rows[k]!;
    }
    [keys, spareKeys] = [spareKeys, keys];
    [rows, spareRows] = [spareRows, rows];
  }
  return { sorted: keys, rows };
}

/** Position of `id` in ascending `sorted`, or −1. */
function search(sorted: Float64Array, id: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2); // not >>> 1: low + high may pass 2^32
    const value = sorted[middle]!;
    if (value < id) low = middle + 1;
    else if (value > id) high = middle - 1;
    else return middle;
  }
  return -1;
}
