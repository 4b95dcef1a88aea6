// PartialFC per-rank memory and step time for C = 100k and 1M classes at D = 512, W = 1, 2, 4
// worker-thread ranks (batch 32 per rank, so B_global = 32·W), per step kind: 'forward-backward'
// (tf.variableGrads of the loss w.r.t. the centre shard) and 'train' (that and the LARS update of
// the shard and its momentum). BENCH_STEPS (comma list) picks step kinds.
//
// Each case runs in its own Node process (this file re-spawned with BENCH_CASE), one after the
// other, so that `processPeakRssBytes` (process.resourceUsage().maxRSS in the main thread after the
// ranks finish) is the peak of exactly that case's W ranks together — they share the process.
// `peakBytesRank0` is tfjs's own accounting (tf.profile) on rank 0: it counts every tensor, aliases
// (reshapes, saved clones) included, and the centre variable itself; `peakOverShard` divides it by
// the shard's bytes. Measured (forward-backward): ~3.3 shards at W = 1, ~3.6 at W = 2, ~4.3 at W = 4 (the
// [B_global, C_r] logits and their gradients weigh B_global/D of a shard each and B_global grows
// with W). 'largestKernelOutput' is the biggest tensor any kernel produced, in elements, to show that
// no rank materialises C×D or B_global×C. The W ranks share this machine's cores.
import { launchRanks } from '@bigface/backend';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const rankModule = fileURLToPath(new URL('./rank-step.mjs', import.meta.url));
const embeddingSize = 512;
const batch = 32;
const backend = process.env.BIGFACE_BACKEND ?? 'wasm';
const WASM_HEAP = 4 * 2 ** 30;
// Peak ≈ 3.3–4.3 shards forward + backward, 6 with the LARS update (see above); one more leaves
// room for the wasm allocator's fragmentation.
const WASM_PEAK_OVER_SHARD = { 'forward-backward': 5, train: 7 };

async function runCase(numClasses, worldSize, step) {
  const shardBytes = Math.ceil(numClasses / worldSize) * embeddingSize * 4;
  const base = { bench: 'partial-fc-step', step, backend, numClasses, embeddingSize, worldSize, batchPerRank: batch };
  const factor = WASM_PEAK_OVER_SHARD[step];
  if (backend === 'wasm' && shardBytes * factor > WASM_HEAP) {
    const minimum = Math.ceil((numClasses * embeddingSize * 4 * factor) / WASM_HEAP);
    console.log(
      JSON.stringify({
        ...base,
        skipped: `a ${(shardBytes / 2 ** 30).toFixed(2)} GiB shard needs ~${factor}× in the 4 GiB wasm heap of one rank; use W >= ${minimum} or BIGFACE_BACKEND=cpu`,
      }),
    );
    return;
  }
  const results = await launchRanks({
    worldSize,
    module: rankModule,
    args: { numClasses, embeddingSize, batch, repeats: numClasses >= 1_000_000 ? 1 : 3, backend, step },
    timeoutMs: 30 * 60_000,
  });
  const rank0 = results[0];
  console.log(
    JSON.stringify({
      ...base,
      shardRows: rank0.shardRows,
      shardBytes,
      peakBytesRank0: rank0.peakBytes,
      peakOverShard: Number((rank0.peakBytes / shardBytes).toFixed(2)),
      processPeakRssBytes: process.resourceUsage().maxRSS * 1024,
      fullClassifierBytes: numClasses * embeddingSize * 4,
      largestKernelOutput: rank0.largestKernelOutput,
      fullClassifierElements: numClasses * embeddingSize,
      msPerStep: Math.round(Math.max(...results.map((r) => r.msPerStep))),
    }),
  );
}

if (process.env.BENCH_CASE) {
  const { numClasses, worldSize, step } = JSON.parse(process.env.BENCH_CASE);
  await runCase(numClasses, worldSize, step);
} else {
  // BENCH_CLASSES / BENCH_WORLD_SIZES (comma lists) pick cases, e.g. BENCH_CLASSES=1000000 BENCH_WORLD_SIZES=4.
  const list = (name, fallback) => (process.env[name] ? process.env[name].split(',').map(Number) : fallback);
  let failed = false;
  const steps = process.env.BENCH_STEPS ? process.env.BENCH_STEPS.split(',') : ['forward-backward', 'train'];
  for (const numClasses of list('BENCH_CLASSES', [100_000, 1_000_000])) {
    for (const worldSize of list('BENCH_WORLD_SIZES', [1, 2, 4])) {
      for (const step of steps) {
        const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
          stdio: 'inherit',
          env: { ...process.env, BENCH_CASE: JSON.stringify({ numClasses, worldSize, step }) },
        });
        if (child.status !== 0) {
          failed = true;
          console.log(
            JSON.stringify({ bench: 'partial-fc-step', step, backend, numClasses, embeddingSize, worldSize, failed: child.signal ?? `exit ${child.status}` }),
          );
        }
      }
    }
  }
  if (failed) process.exitCode = 1;
}
