import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, loadSafetensors } from '@bigface/backend';
import { train } from '@bigface/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backboneOf, maxRelativeDifference, tinyConfig } from './support';

const root = mkdtempSync(path.join(tmpdir(), 'bigface-train-distributed-'));
const cacheDir = path.join(root, 'cache');
const tiny = tinyConfig(root, cacheDir);

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
if (!mpirun && process.env.CI) throw new Error('CI: mpirun is missing; .ci/run installs openmpi-bin (apt) before the tests');

function optimizerState(directory: string): Map<string, Float32Array> {
  const file = loadSafetensors(path.join(directory, 'optimizer.safetensors'));
  return new Map([...file.tensors].map(([name, tensor]) => [name, tensor.data as Float32Array]));
}

describe('distributed training', () => {
  it('ZeRO stage 1 (sharded backbone optimizer state) equals unsharded LARS, W = 2 worker threads', async () => {
    const common = { batch: { perRank: 4 }, testing: { frozenBatchNorm: true } } as const;
    const plain = await train(tiny('zero0', { ...common, distributed: { worldSize: 2 } }));
    const sharded = await train(tiny('zero1', { ...common, distributed: { worldSize: 2, zero: 1 } }));
    const initial = backboneOf(path.join(root, 'zero0', 'checkpoints', 'step-00000002'));
    expect(maxRelativeDifference(initial, backboneOf(plain.finalCheckpoint))).toBeGreaterThan(1e-3); // the weights moved
    // Only the summation order of LARS's norms differs.
    expect(maxRelativeDifference(backboneOf(sharded.finalCheckpoint), backboneOf(plain.finalCheckpoint))).toBeLessThan(1e-5);
    // The checkpoint holds the whole momentum in LARSOptimizer's format either way.
    const zeroState = optimizerState(sharded.finalCheckpoint);
    const plainState = optimizerState(plain.finalCheckpoint);
    expect([...zeroState.keys()].sort()).toEqual([...plainState.keys()].sort());
    expect(maxRelativeDifference(zeroState, plainState)).toBeLessThan(1e-5);
  });

  it.skipIf(!mpirun)('W = 2 MPI processes (mpirun) train exactly like W = 2 worker-thread ranks, with and without ZeRO', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/train-mpi.mjs', import.meta.url));
    for (const zero of [0, 1] as const) {
      const common = { batch: { perRank: 4 }, testing: { frozenBatchNorm: true } } as const;
      const threads = await train(tiny(`threads-${zero}`, { ...common, distributed: { worldSize: 2, zero } }));
      const config = tiny(`mpi-${zero}`, { ...common, distributed: { communicator: 'mpi', zero } });
      const run = spawnSync('mpirun', ['--allow-run-as-root', '--oversubscribe', '-np', '2', process.execPath, fixture, JSON.stringify(config)], {
        encoding: 'utf8',
        timeout: 180_000,
        env: { ...process.env, OMPI_MCA_btl: 'self,vader,tcp' },
      });
      expect(run.status, `mpirun failed:\n${run.stdout}\n${run.stderr}`).toBe(0);
      const lines = run.stdout
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line));
      expect(lines.map((line) => line.rank).sort()).toEqual([0, 1]);
      expect(lines.every((line) => line.steps === 3)).toBe(true);
      const mpiCheckpoint = path.join(root, `mpi-${zero}`, 'checkpoints', 'step-00000003');
      expect(readdirSync(mpiCheckpoint).sort()).toEqual(readdirSync(threads.finalCheckpoint).sort());
      // The MPI communicator reduces in rank order like the worker threads: bit-identical weights.
      expect(maxRelativeDifference(backboneOf(mpiCheckpoint), backboneOf(threads.finalCheckpoint))).toBe(0);
    }
  });
});
