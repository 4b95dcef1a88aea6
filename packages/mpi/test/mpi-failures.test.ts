import { describe, expect, it } from 'vitest';
import { mpiTestMode, runMpi } from './mpirun';

describe.runIf(mpiTestMode() === 'run')('a dead rank brings the MPI job down', () => {
  it('a rank that exits early: the others throw COLLECTIVE_TIMEOUT within the watchdog and the job aborts', async () => {
    const run = await runMpi(3, 'test/fixtures/dead-rank.mjs', ['exit', '1500'], { timeoutMs: 40_000, endsAfter: /MPI_ABORT was invoked/ });
    expect(run.code, run.output).not.toBe(0);
    for (const rank of [0, 1]) {
      const line = run.output.split('\n').find((l) => l.startsWith(`CAUGHT rank ${rank} `));
      expect(line, run.output).toBeDefined();
      expect(line).toContain('COLLECTIVE_TIMEOUT');
      expect(line).toContain('a rank died, exited early');
      const waited = Number(/after (\d+) ms/.exec(line!)![1]);
      expect(waited).toBeGreaterThanOrEqual(1500);
      expect(waited).toBeLessThan(6000);
    }
    expect(run.output).not.toContain('UNEXPECTED');
    // The job is taken down by MPI_Abort; OpenMPI usually prints 'MPI_ABORT was invoked', but when
    // mpirun tears the job down first only our own notice is there (seen once in CI).
    expect(run.output).toMatch(/MPI_ABORT was invoked|aborting the MPI job/);
  });

  it('a rank killed by a signal: mpirun ends the job without waiting for the watchdog', async () => {
    const run = await runMpi(2, 'test/fixtures/dead-rank.mjs', ['kill', '600000'], { timeoutMs: 40_000, endsAfter: /signal 9|Killed/ });
    expect(run.code, run.output).not.toBe(0);
    expect(run.output).toMatch(/signal 9|Killed/);
    expect(run.seconds).toBeLessThan(30);
  });
});
