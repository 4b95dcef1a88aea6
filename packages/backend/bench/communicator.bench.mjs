#!/usr/bin/env node
// allReduce('sum') bandwidth of the ThreadCommunicator (worker-thread ranks, SharedArrayBuffer +
// Atomics) for 1, 16 and 64 MB float32 buffers at W = 2, with the default 4 MiB slots. One JSON
// line per case. gigabytesPerSecond = buffer bytes / time per call (nccl-tests' "algbw");
// busGigabytesPerSecond = that x 2(W-1)/W ("busbw"). This file is also the rank module.
// Environment: BENCH_MIN_MS (time per case, default 1500).
import { isMainThread } from 'node:worker_threads';
import { launchRanks } from '@bigface/backend';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 1500);
const WORLD_SIZE = 2;
const SIZES_MB = [1, 16, 64];

/** Rank function: per size, warm up, then time allReduce calls (rank 0's clock) for at least minMs. */
export function rank(communicator, { sizesMegabytes, minMs }) {
  const timings = [];
  for (const megabytes of sizesMegabytes) {
    const data = new Float32Array((megabytes * 1024 * 1024) / 4).fill(communicator.rank + 1);
    communicator.allReduce(data, 'sum');
    communicator.allReduce(data, 'sum');
    let reps = 0;
    let elapsed = 0;
    const start = performance.now();
    // Rank 0 decides when to stop, and tells the others through a one-element broadcast.
    for (;;) {
      const result = communicator.allReduce(data, 'sum');
      reps++;
      elapsed = performance.now() - start;
      if (result[result.length - 1] !== (WORLD_SIZE * (WORLD_SIZE + 1)) / 2) throw new Error('wrong allReduce result');
      const stop = communicator.broadcast(Int32Array.of(reps >= 3 && elapsed >= minMs ? 1 : 0), 0);
      if (stop[0] === 1) break;
    }
    timings.push({ megabytes, reps, ms: elapsed / reps });
  }
  return timings;
}

if (isMainThread) {
  const [timings] = await launchRanks({
    worldSize: WORLD_SIZE,
    module: new URL(import.meta.url),
    exportName: 'rank',
    args: { sizesMegabytes: SIZES_MB, minMs: MIN_MS },
  });
  for (const { megabytes, reps, ms } of timings) {
    const bytes = megabytes * 1024 * 1024;
    const gigabytesPerSecond = bytes / ms / 1e6;
    console.log(
      JSON.stringify({
        bench: 'communicator',
        collective: 'allReduce',
        op: 'sum',
        dtype: 'float32',
        worldSize: WORLD_SIZE,
        bytes,
        slotBytes: 4 * 1024 * 1024,
        ms: +ms.toFixed(3),
        reps,
        gigabytesPerSecond: +gigabytesPerSecond.toFixed(3),
        busGigabytesPerSecond: +((gigabytesPerSecond * 2 * (WORLD_SIZE - 1)) / WORLD_SIZE).toFixed(3),
      }),
    );
  }
}
