// All-reduce bandwidth of MpiCommunicator (run under mpirun by bench/run.mjs): float32 sum of
// 1 MB … 256 MB. Rank 0 prints one JSON line per size: seconds per call (best of the repeats),
// algorithm bandwidth (bytes / time) and bus bandwidth (× 2(W−1)/W, what NCCL-style tables show).
import { MpiCommunicator } from '@bigface/mpi';

const communicator = MpiCommunicator.create();
const { rank, worldSize } = communicator;
const sizes = (process.env.BENCH_SIZES_MB ?? '1,4,16,64,256').split(',').map(Number);
for (const megabytes of sizes) {
  const bytes = megabytes * 2 ** 20;
  const data = new Float32Array(bytes / 4).fill(rank + 1);
  communicator.allReduce(data, 'sum'); // warm-up: scratch buffers, connections
  const repeats = Math.max(3, Math.min(20, Math.round(256 / megabytes)));
  let best = Infinity;
  let total = 0;
  for (let i = 0; i < repeats; i++) {
    communicator.barrier();
    const started = performance.now();
    const result = communicator.allReduce(data, 'sum');
    const seconds = (performance.now() - started) / 1000;
    best = Math.min(best, seconds);
    total += seconds;
    if (result[result.length - 1] !== (worldSize * (worldSize + 1)) / 2) throw new Error('wrong all-reduce result');
  }
  if (rank === 0) {
    console.log(
      JSON.stringify({
        bench: 'mpi-all-reduce',
        worldSize,
        megabytes,
        repeats,
        bestSeconds: +best.toFixed(5),
        meanSeconds: +(total / repeats).toFixed(5),
        algorithmGBps: +(bytes / best / 1e9).toFixed(3),
        busGBps: +(((bytes / best) * 2 * (worldSize - 1)) / worldSize / 1e9).toFixed(3),
      }),
    );
  }
}
