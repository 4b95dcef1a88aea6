import { describe, expect, it } from 'vitest';
import { SingleCommunicator } from '../src/single-communicator';
import { ThreadCommunicator } from '../src/thread-communicator';
import type { Communicator } from '../src/communicator';

// A ThreadCommunicator of one rank never waits (it is always the last to arrive at its barriers),
// so it can run here on the main thread: both must behave like the identity and return copies.
const makers: [string, () => Communicator][] = [
  ['SingleCommunicator', () => new SingleCommunicator()],
  ['ThreadCommunicator (worldSize 1)', () => new ThreadCommunicator(ThreadCommunicator.allocate(1, { slotBytes: 16 }), 0)],
];

describe.each(makers)('%s', (_name, make) => {
  it('is rank 0 of 1 and returns copies of the same type for every collective', () => {
    const communicator = make();
    expect([communicator.rank, communicator.worldSize]).toEqual([0, 1]);
    // 9 float32 = 36 bytes: more than the 16-byte slot of the thread version, so it is chunked.
    const data = Float32Array.of(1.5, -2, 3, 0.25, 7, -8, 9, 10, 11);
    const results = [
      ...(['sum', 'max', 'min', 'mean'] as const).map((op) => communicator.allReduce(data, op)),
      communicator.allGather(data),
      communicator.allGatherV(data).data,
      communicator.reduceScatter(data),
      communicator.reduceScatter(data, 'mean', [9]),
      communicator.broadcast(data, 0),
    ];
    for (const result of results) {
      expect(result).toBeInstanceOf(Float32Array);
      expect(result).not.toBe(data);
      expect(Array.from(result)).toEqual(Array.from(data));
      result[0] = 99;
      expect(data[0]).toBe(1.5);
    }
    expect(communicator.allGatherV(data).counts).toEqual([9]);
    const ints = Int32Array.of(-3, 4, 5);
    expect(communicator.allReduce(ints, 'mean')).toEqual(Int32Array.of(-3, 4, 5));
    expect(communicator.allReduce(ints, 'mean')).toBeInstanceOf(Int32Array);
    expect(communicator.allReduce(Float64Array.of(0.1, 1e300), 'sum')).toEqual(Float64Array.of(0.1, 1e300));
    expect(communicator.allReduce(new Float32Array(0)).length).toBe(0);
    communicator.barrier();
  });

  it('rejects invalid arguments with a coded error that says how to fix them', () => {
    const communicator = make();
    const data = new Float32Array(3);
    expect(() => communicator.allReduce(data, 'product' as never)).toThrow(expect.objectContaining({ code: 'UNKNOWN_REDUCE_OP' }));
    expect(() => communicator.allReduce(data, 'product' as never)).toThrow(/choose one of sum, max, min, mean/);
    expect(() => communicator.allReduce(new Uint8Array(3) as never)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_DATA_TYPE' }));
    expect(() => communicator.allGather([1, 2] as never)).toThrow(
      /Float32Array, Int32Array, Float64Array or Uint16Array \(bfloat16 bits\), got Array; convert it first/,
    );
    expect(() => communicator.reduceScatter(data, 'sum', [2])).toThrow(expect.objectContaining({ code: 'INVALID_COUNTS' }));
    expect(() => communicator.reduceScatter(data, 'sum', [2])).toThrow(/sum to 2 but the data has 3 elements/);
    expect(() => communicator.reduceScatter(data, 'sum', [1, 2])).toThrow(/one count per rank \(1\)/);
    expect(() => communicator.broadcast(data, 1)).toThrow(expect.objectContaining({ code: 'INVALID_ROOT' }));
    expect(() => communicator.broadcast(data, 0.5)).toThrow(/root must be an integer rank in 0\.\.0, got 0\.5/);
  });
});

describe('ThreadCommunicator construction', () => {
  it('validates the world size, slot size, rank and timeout', () => {
    expect(() => ThreadCommunicator.allocate(0)).toThrow(expect.objectContaining({ code: 'INVALID_WORLD_SIZE' }));
    expect(() => ThreadCommunicator.allocate(2, { slotBytes: 4 })).toThrow(expect.objectContaining({ code: 'INVALID_SLOT_BYTES' }));
    const memory = ThreadCommunicator.allocate(2, { slotBytes: 20 });
    expect(memory.slotBytes).toBe(24); // rounded up to a multiple of 8 (float64 alignment)
    expect(memory.arena.byteLength).toBe(3 * 24); // one slot per rank + the result slot
    expect(() => new ThreadCommunicator(memory, 2)).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => new ThreadCommunicator(memory, 0, { timeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_TIMEOUT' }));
  });

  it('makes every later collective throw COLLECTIVE_ABORTED once a rank aborted', () => {
    const communicator = new ThreadCommunicator(ThreadCommunicator.allocate(1), 0);
    communicator.abort();
    expect(() => communicator.barrier()).toThrow(expect.objectContaining({ code: 'COLLECTIVE_ABORTED' }));
    expect(() => communicator.allReduce(new Float32Array(1))).toThrow(/rank 0 failed/);
  });
});
