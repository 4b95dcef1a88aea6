import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/random';
import { launchRanks } from '../src/launch-ranks';

// These tests start real worker threads. The workers run the BUILT worker entry
// (dist/rank-worker.js) and the fixtures import '@bigface/backend' (dist): run `pnpm build` first.

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const SEED = 20240611;

type NumericArray = Float32Array | Int32Array | Float64Array;
type Type = 'float32' | 'int32' | 'float64';

/** The data of rank `rank` in case `caseIndex`, built exactly as fixtures/collectives.mjs builds it. */
function rankData(caseIndex: number, rank: number, length: number, type: Type = 'float32'): NumericArray {
  const rng = Rng.derive(SEED, caseIndex, rank);
  if (type === 'int32') return Int32Array.from({ length }, () => rng.intRange(-1000, 1000));
  if (type === 'float64') return Float64Array.from({ length }, () => rng.normal(0, 1) + rng.next() * 1e-9);
  return rng.fillNormal(new Float32Array(length));
}

/**
 * The reduction over ranks 0..W-1 in rank order, written out element by element with the rounding
 * of the element type: float32 rounds after every addition (Math.fround), int32 wraps (| 0), and
 * mean divides the sum by W (int32: truncated toward zero).
 */
function expectedReduce(caseIndex: number, worldSize: number, length: number, op: string, type: Type): number[] {
  const round = type === 'float32' ? Math.fround : type === 'int32' ? (x: number) => x | 0 : (x: number) => x;
  const inputs = Array.from({ length: worldSize }, (_, rank) => rankData(caseIndex, rank, length, type));
  return Array.from({ length }, (_, i) => {
    let accumulator = inputs[0]![i]!;
    for (let rank = 1; rank < worldSize; rank++) {
      const value = inputs[rank]![i]!;
      if (op === 'max') accumulator = Math.max(accumulator, value);
      else if (op === 'min') accumulator = Math.min(accumulator, value);
      else accumulator = round(accumulator + value);
    }
    if (op === 'mean') accumulator = type === 'int32' ? Math.trunc(accumulator / worldSize) | 0 : round(accumulator / worldSize);
    return accumulator;
  });
}

const gatherLength = (rank: number) => (rank === 2 ? 0 : 5 + 311 * rank);

// One launch per world size runs every collective (worker start-up dominates the cost).
// W >= 2 uses 1 KiB slots (256 float32) so that most payloads are chunked; W = 1 the default 4 MiB.
type ScatterResult = { counts: number[] | null; op?: string; result: Float32Array };
/** What fixtures/collectives.mjs returns from each rank. */
interface CollectivesResult {
  rank: number;
  worldSize: number;
  inputUnchanged: boolean;
  allReduce: { caseIndex: number; length: number; op: string; type: Type; result: NumericArray }[];
  bfloat16: { caseIndex: number; length: number; op: string; kind: string; result: Uint16Array }[];
  gatherCase: number;
  gather: { data: Float32Array; counts: number[]; intData: Int32Array };
  scatterCase: number;
  scatter: [evenSum: ScatterResult, customSum: ScatterResult, evenMax: ScatterResult];
  broadcastCase: number;
  broadcast: { root: number; result: Float32Array }[];
  broadcastInt: Int32Array;
  empty: number;
  nanMax: Float32Array;
  nanMin: Float32Array;
}

describe.each([
  { worldSize: 1, slotBytes: undefined },
  { worldSize: 2, slotBytes: 1024 },
  { worldSize: 3, slotBytes: 1024 },
  { worldSize: 4, slotBytes: 1024 },
])('ThreadCommunicator with $worldSize rank(s)', ({ worldSize, slotBytes }) => {
  const reduceLengths = [7, 256, 1000, 3001];
  const scatterLength = 1001;
  const broadcastLength = 700;
  let results: CollectivesResult[];

  beforeAll(async () => {
    results = await launchRanks({
      worldSize,
      module: fixture('collectives.mjs'),
      slotBytes,
      args: { seed: SEED, reduceLengths, gatherLengths: Array.from({ length: worldSize }, (_, r) => gatherLength(r)), scatterLength, broadcastLength },
    });
  });

  it('returns one result per rank, in rank order', () => {
    expect(results.map((result) => [result.rank, result.worldSize])).toEqual(Array.from({ length: worldSize }, (_, r) => [r, worldSize]));
    for (const result of results) expect(result.inputUnchanged).toBe(true);
  });

  it('allReduce sum/max/min/mean equals the rank-order reduction exactly, on every rank (float32, int32, float64)', () => {
    const cases = results[0]!.allReduce;
    expect(cases.length).toBe(reduceLengths.length * 4 + 5);
    cases.forEach(({ caseIndex, length, op, type }, index) => {
      const expected = expectedReduce(caseIndex, worldSize, length, op, type);
      for (const result of results) {
        const got = result.allReduce[index]!.result;
        expect(got.constructor.name, `${op} ${type}`).toBe({ float32: 'Float32Array', int32: 'Int32Array', float64: 'Float64Array' }[type]);
        expect(Array.from(got), `rank ${result.rank}: ${op} ${type} of ${length}`).toEqual(expected);
      }
    });
    for (const result of results) {
      expect(result.empty).toBe(0);
      expect(Array.from(result.nanMax)).toEqual([NaN, worldSize - 1]);
      expect(Array.from(result.nanMin)).toEqual([NaN, -(worldSize - 1)]);
    }
  });

  it('bfloat16 (Uint16Array) allReduce and reduceScatter: decoded, summed in float32 in rank order, rounded once to nearest even', () => {
    // Written out independently: bits → value by a DataView, float32 sums by Math.fround, and the
    // rounding to bfloat16 by integer arithmetic on the float32 word.
    const view = new DataView(new ArrayBuffer(4));
    const value = (bits: number) => {
      view.setUint32(0, bits << 16);
      return view.getFloat32(0);
    };
    const round = (x: number) => {
      view.setFloat32(0, x);
      const word = view.getUint32(0);
      if (Number.isNaN(x)) return (word >>> 16) | 0x40;
      const upper = word >>> 16;
      const lower = word & 0xffff;
      return (lower > 0x8000 || (lower === 0x8000 && upper & 1) ? upper + 1 : upper) & 0xffff;
    };
    // The fixture's bits: the upper halves of the float32 data of each (case, rank).
    const data = (caseIndex: number, rank: number, length: number) =>
      Uint16Array.from(new Uint32Array((rankData(caseIndex, rank, length) as Float32Array).buffer), (word) => word >>> 16);
    for (const [index, { caseIndex, length, op, kind }] of results[0]!.bfloat16.entries()) {
      const inputs = Array.from({ length: worldSize }, (_, r) => data(caseIndex, r, length));
      const expected = Array.from({ length }, (_, i) => {
        let accumulator = value(inputs[0]![i]!);
        for (let r = 1; r < worldSize; r++) {
          const v = value(inputs[r]![i]!);
          accumulator = op === 'max' ? Math.max(accumulator, v) : op === 'min' ? Math.min(accumulator, v) : Math.fround(accumulator + v);
        }
        return round(op === 'mean' ? Math.fround(accumulator / worldSize) : accumulator);
      });
      for (const result of results) {
        const got = result.bfloat16[index]!.result;
        expect(got.constructor.name).toBe('Uint16Array');
        if (kind === 'allReduce') expect(Array.from(got), `rank ${result.rank}: ${op} of ${length}`).toEqual(expected);
        else {
          const counts = Array.from({ length: worldSize }, (_, r) => Math.floor(length / worldSize) + (r < length % worldSize ? 1 : 0));
          const from = counts.slice(0, result.rank).reduce((a, b) => a + b, 0);
          expect(Array.from(got), `rank ${result.rank}: reduceScatter ${op}`).toEqual(expected.slice(from, from + counts[result.rank]!));
        }
      }
    }
  });

  it('allGather / allGatherV concatenate unequal lengths in rank order, with the counts', () => {
    const counts = Array.from({ length: worldSize }, (_, r) => gatherLength(r));
    const caseIndex = results[0]!.gatherCase;
    const expected = Array.from({ length: worldSize }, (_, r) => Array.from(rankData(caseIndex, r, counts[r]!))).flat();
    const expectedInt = Array.from({ length: worldSize }, (_, r) => Array.from(rankData(caseIndex + 1, r, counts[r]!, 'int32'))).flat();
    for (const result of results) {
      expect(result.gather.counts).toEqual(counts);
      expect(result.gather.data).toBeInstanceOf(Float32Array);
      expect(Array.from(result.gather.data)).toEqual(expected);
      expect(result.gather.intData).toBeInstanceOf(Int32Array);
      expect(Array.from(result.gather.intData)).toEqual(expectedInt);
    }
  });

  it('reduceScatter gives each rank its slice of the reduction (even split: first C % W ranks one more; or given counts)', () => {
    const caseIndex = results[0]!.scatterCase;
    const sum = expectedReduce(caseIndex, worldSize, scatterLength, 'sum', 'float32');
    const max = expectedReduce(caseIndex, worldSize, scatterLength, 'max', 'float32');
    const even = Array.from({ length: worldSize }, (_, r) => Math.floor(scatterLength / worldSize) + (r < scatterLength % worldSize ? 1 : 0));
    const custom = Array.from({ length: worldSize }, (_, r) => (r === worldSize - 1 ? scatterLength - 3 * (worldSize - 1) : 3));
    for (const result of results) {
      const r = result.rank;
      const start = (counts: number[]) => counts.slice(0, r).reduce((a, b) => a + b, 0);
      const [evenSum, customSum, evenMax] = result.scatter;
      expect(Array.from(evenSum.result)).toEqual(sum.slice(start(even), start(even) + even[r]!));
      expect(Array.from(customSum.result)).toEqual(sum.slice(start(custom), start(custom) + custom[r]!));
      expect(Array.from(evenMax.result)).toEqual(max.slice(start(even), start(even) + even[r]!));
    }
  });

  it("broadcast gives every rank the root's data, for every root", () => {
    const caseIndex = results[0]!.broadcastCase;
    for (const result of results) {
      expect(result.broadcast.map((entry: { root: number }) => entry.root)).toEqual(Array.from({ length: worldSize }, (_, r) => r));
      for (const { root, result: got } of result.broadcast) {
        expect(Array.from(got)).toEqual(Array.from(rankData(caseIndex, root, broadcastLength)));
      }
      expect(result.broadcastInt).toEqual(Int32Array.of(7, -8, 9));
    }
  });
});

describe('ThreadCommunicator barrier', () => {
  it('lets no rank pass before every rank has arrived (staggered arrivals, 4 ranks, 6 rounds)', async () => {
    const rounds = 6;
    const flags = new SharedArrayBuffer(4 * rounds);
    const seen = await launchRanks<number[]>({ worldSize: 4, module: fixture('barrier-order.mjs'), args: { flags, rounds } });
    // After round k's barrier every rank must already see all 4 arrival marks of round k.
    expect(seen).toEqual(Array.from({ length: 4 }, () => Array.from({ length: rounds }, () => 4)));
  });
});

describe('launchRanks from the CommonJS build', () => {
  it('finds its worker and calls a named export', async () => {
    const require = createRequire(import.meta.url);
    const backend = require('@bigface/backend') as { launchRanks: typeof launchRanks };
    const results = await backend.launchRanks({ worldSize: 2, module: fixture('failing.mjs').pathname, exportName: 'named', args: { tag: 'cjs' } });
    expect(results).toEqual([
      { rank: 0, worldSize: 2, args: { tag: 'cjs' } },
      { rank: 1, worldSize: 2, args: { tag: 'cjs' } },
    ]);
  });
});
