import { Rng } from '@bigface/backend';
import { describe, expect, it } from 'vitest';
import { code } from '../test/error-code';
import { idsFingerprint } from './ids-fingerprint';
import { SampleIdIndex } from './sample-id-index';

/** Checks `index` against a plain Map (fine at these sizes) on every id and on absent ones. */
function expectMatchesMap(index: SampleIdIndex, ids: Float64Array, absent: number[]): void {
  const reference = new Map<number, number>();
  ids.forEach((id, row) => {
    reference.set(id, row);
  });
  for (const [id, row] of reference) expect(index.rowOf(id)).toBe(row);
  for (const id of absent) {
    expect(reference.has(id)).toBe(false);
    expect(index.rowOf(id)).toBe(-1);
    expect(index.has(id)).toBe(false);
  }
}

describe('SampleIdIndex', () => {
  const rng = new Rng(11);
  const count = 1000;
  const cases: Array<[string, Float64Array, 'dense' | 'sorted']> = [
    ['dense, in order (dataset indices)', Float64Array.from({ length: count }, (_, k) => k), 'dense'],
    ['dense, shuffled', Float64Array.from(rng.permutation(count)), 'dense'],
    ['sparse, in order', Float64Array.from({ length: count }, (_, k) => 3 * k + 5), 'sorted'],
    ['sparse, shuffled, up to 2^50', Float64Array.from(rng.permutation(count), (k) => k * 2 ** 40 + 7), 'sorted'],
  ];
  for (const [name, ids, kind] of cases) {
    it(`maps ids to rows like a Map, and fingerprints like idsFingerprint: ${name}`, () => {
      const index = new SampleIdIndex(ids);
      expect(index.kind).toBe(kind);
      expect(index.count).toBe(count);
      expectMatchesMap(index, ids, [-1, 1e6 + 0.5, 2 ** 53, Number.NaN, 1e15 + 3, ...(kind === 'dense' ? [count] : [4, 2])]);
      expect(index.fingerprint()).toBe(idsFingerprint(ids));
    });
  }

  it('refuses repeated and non-integer ids, and names a missing id', () => {
    expect(code(() => new SampleIdIndex(Float64Array.from([1, 0, 1]), 'test cache'))).toMatch(/^TEACHER_CACHE_BAD_ID: test cache: sample id 1 appears twice/);
    expect(code(() => new SampleIdIndex(Float64Array.from([5, 9, 5])))).toMatch(/sample id 5 appears twice/);
    expect(code(() => new SampleIdIndex(Float64Array.from([0, -2])))).toMatch(/^TEACHER_CACHE_BAD_ID: .*non-negative safe integers .*got -2/);
    expect(code(() => new SampleIdIndex(Float64Array.from([0.5])))).toMatch(/got 0.5/);
    expect(code(() => new SampleIdIndex(Float64Array.from([2 ** 53])))).toMatch(/got 9007199254740992/);
    expect(code(() => new SampleIdIndex(Float64Array.from([3, 4])).requireRow(7))).toMatch(/^TEACHER_CACHE_MISSING_ID: .*no embedding for sample id 7/);
  });

  // A JS Map holds at most 2^24 entries (new Map with 2^24 + 1 keys throws "Map maximum size exceeded"):
  // the index must not. Index structure only, no embeddings behind it.
  const large = 2 ** 24 + 3;
  it(`indexes ${large} sparse ids (more than a Map can hold)`, () => {
    const ids = new Float64Array(large);
    for (let row = 0; row < large; row += 1) ids[row] = 2 * row + 1;
    const index = new SampleIdIndex(ids);
    expect(index.kind).toBe('sorted');
    for (const row of [0, 1, 2 ** 24 - 1, 2 ** 24, 2 ** 24 + 1, large - 1, 12_345_678]) expect(index.rowOf(2 * row + 1)).toBe(row);
    for (const id of [0, 2 * 2 ** 24, 2 * large + 1, 2 * large + 3]) expect(index.rowOf(id)).toBe(-1);
  });

  it(`indexes ${large} dataset indices stored in reverse order`, () => {
    const ids = new Float64Array(large);
    for (let row = 0; row < large; row += 1) ids[row] = large - 1 - row;
    const index = new SampleIdIndex(ids);
    expect(index.kind).toBe('dense');
    for (const id of [0, 1, 2 ** 24, large - 1, 9_999_999]) expect(index.rowOf(id)).toBe(large - 1 - id);
    expect(index.rowOf(large)).toBe(-1);
  });

  it(`indexes ${large} shuffled sparse ids (radix-sorted once, binary search)`, () => {
    // Row r holds id (r · 48271) mod p, p = 2^31 − 1 prime and r < p: all distinct, unordered (and exact in float64).
    const p = 2147483647;
    const ids = new Float64Array(large);
    for (let row = 0; row < large; row += 1) ids[row] = (row * 48271) % p;
    const index = new SampleIdIndex(ids);
    expect(index.kind).toBe('sorted');
    for (const row of [0, 1, 2 ** 24, large - 1, 7_654_321]) expect(index.rowOf(ids[row]!)).toBe(row);
    expect(index.rowOf(p)).toBe(-1);
  });
});
