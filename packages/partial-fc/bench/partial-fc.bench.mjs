// PartialFC per-rank memory and step time for C = 100k and 1M classes at D = 512, W = 1, 2, 4
// worker-thread ranks (batch 32 per rank). Peak bytes are tfjs's own accounting (tf.profile) on
// rank 0; 'largestKernelOutput' is the biggest tensor any kernel produced, in elements, to show
// that no rank materialises C×D or B_global×C. Note: W ranks share this machine's cores.
import { launchRanks } from '@bigface/backend';
import { fileURLToPath } from 'node:url';

const rankModule = fileURLToPath(new URL('./rank-step.mjs', import.meta.url));
const embeddingSize = 512;
const batch = 32;
const backend = process.env.BIGFACE_BACKEND ?? 'wasm';
const WASM_HEAP = 4 * 2 ** 30;
// BENCH_CLASSES / BENCH_WORLD_SIZES (comma lists) pick cases, e.g. BENCH_CLASSES=1000000 BENCH_WORLD_SIZES=4.
const list = (name, fallback) => (process.env[name] ? process.env[name].split(',').map(Number) : fallback);
for (const numClasses of list('BENCH_CLASSES', [100_000, 1_000_000])) {
  for (const worldSize of list('BENCH_WORLD_SIZES', [1, 2, 4])) {
    const shardBytes = Math.ceil(numClasses / worldSize) * embeddingSize * 4;
    const base = { bench: 'partial-fc-step', backend, numClasses, embeddingSize, worldSize, batchPerRank: batch };
    // Measured peak ≈ 8.3× the shard at C = 100k (centres, their gradient, unit centres, backward
    // temporaries); C = 1M at W = 4 ran out of the 4 GiB wasm heap of one rank. Skip what cannot fit.
    if (backend === 'wasm' && shardBytes * 9 > WASM_HEAP) {
      console.log(JSON.stringify({ ...base, skipped: `a ${(shardBytes / 2 ** 30).toFixed(2)} GiB shard needs ~9× in the 4 GiB wasm heap of one rank; use more ranks (C = 1M needs W >= 9 on wasm)` }));
      continue;
    }
    const results = await launchRanks({
      worldSize,
      module: rankModule,
      args: { numClasses, embeddingSize, batch, repeats: numClasses >= 1_000_000 ? 1 : 3, backend },
      timeoutMs: 30 * 60_000,
    });
    const rank0 = results[0];
    console.log(JSON.stringify({
      ...base,
      shardRows: rank0.shardRows,
      shardBytes,
      peakBytesRank0: rank0.peakBytes,
      fullClassifierBytes: numClasses * embeddingSize * 4,
      largestKernelOutput: rank0.largestKernelOutput,
      fullClassifierElements: numClasses * embeddingSize,
      msPerStep: Math.round(Math.max(...results.map((r) => r.msPerStep))),
    }));
  }
}
