import { describe, expect, it } from 'vitest';
import { mpiTestMode, runMpi, type MpirunResult } from './mpirun';

interface RankReport {
  rank: number;
  worldSize: number;
  checks: number;
  failures: string[];
  hashes: Record<string, string>;
}

function expectAllPassed(run: MpirunResult, worldSize: number) {
  expect(run.code, run.output).toBe(0);
  const reports = (run.results as unknown as RankReport[]).sort((a, b) => a.rank - b.rank);
  expect(reports.map((r) => r.rank)).toEqual(Array.from({ length: worldSize }, (_, r) => r));
  for (const report of reports) {
    expect(report.worldSize).toBe(worldSize);
    expect(report.failures, `rank ${report.rank}`).toEqual([]);
    expect(report.checks).toBeGreaterThan(150);
  }
  // Replicated results are bit-identical on every rank (sha256 of the bytes).
  for (const report of reports.slice(1)) expect(report.hashes).toEqual(reports[0]!.hashes);
}

describe.runIf(mpiTestMode() === 'run')('MpiCommunicator under mpirun', () => {
  // Every collective (allReduce sum/max/min/mean, allGather(V) with uneven and empty parts,
  // reduceScatter with even/uneven/explicit counts, broadcast from two roots, barrier) on
  // Float32/Int32/Float64 arrays against the reduction written out in the fixture, plus
  // mismatched calls → COLLECTIVE_MISMATCH on every rank.
  it('W = 2: every collective equals the directly computed result, bit-identical on every rank', async () => {
    expectAllPassed(await runMpi(2, 'test/fixtures/collectives.mjs'), 2);
  });

  it('W = 3, chunked: 1000-element chunks and a 5000-element displacement limit give the same results', async () => {
    // Buffers of 20 011 elements go in 21 chunks; all-gathers beyond 5000 elements take the scratch path.
    expectAllPassed(await runMpi(3, 'test/fixtures/collectives.mjs', ['1000', '5000', '20011']), 3);
  });
});
