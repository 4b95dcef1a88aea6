import { launchRanks } from '@bigface/backend';
import { describe, expect, it } from 'vitest';
import { mpiTestMode, runMpi } from './mpirun';

interface TrainReport {
  rank: number;
  losses: number[];
  kernel: number[];
  bias: number[];
  centres: number[];
  stateBytes: number;
}

const fixture = new URL('./fixtures/train-steps.mjs', import.meta.url);

function maxDifference(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - b[i]!)), 0);
}

describe.runIf(mpiTestMode() === 'run')('training with ZeRO-1 and PartialFC across MPI ranks', () => {
  it('W = 2 MPI processes take the same steps as W = 2 worker-thread ranks (bit for bit) and as W = 1 (float tolerance)', async () => {
    const run = await runMpi(2, 'test/fixtures/train-steps.mjs', [], { timeoutMs: 90_000 });
    expect(run.code, run.output).toBe(0);
    const mpi = (run.results as unknown as TrainReport[]).sort((a, b) => a.rank - b.rank);
    const threads = await launchRanks<TrainReport>({ worldSize: 2, module: fixture });
    const single = (await launchRanks<TrainReport>({ worldSize: 1, module: fixture }))[0]!;
    // Same collectives semantics (rank-ordered reductions): identical numbers.
    expect(mpi).toEqual(threads);
    // Replicated backbone identical on both ranks; each holds half of the optimizer state.
    expect(mpi[1]!.kernel).toEqual(mpi[0]!.kernel);
    expect(mpi[0]!.stateBytes + mpi[1]!.stateBytes).toBe(single.stateBytes);
    // Sharded training equals unsharded training within float tolerance.
    expect(mpi[0]!.losses[2]).not.toBe(mpi[0]!.losses[0]);
    expect(maxDifference(mpi[0]!.losses, single.losses)).toBeLessThan(1e-5);
    expect(maxDifference(mpi[0]!.kernel, single.kernel)).toBeLessThan(1e-5);
    expect(maxDifference(mpi[0]!.bias, single.bias)).toBeLessThan(1e-5);
    expect(maxDifference([...mpi[0]!.centres, ...mpi[1]!.centres], single.centres)).toBeLessThan(1e-5);
  });
});
