import { describe, expect, it } from 'vitest';
import { launchRanks } from '../src/launch-ranks';

// A broken group must never hang: whichever way a rank goes wrong, launchRanks rejects promptly
// with RANK_FAILED naming a rank, and the rank's own error as the cause. Needs `pnpm build` first
// (the workers run dist/rank-worker.js).

const failing = new URL('./fixtures/failing.mjs', import.meta.url);

/** Runs the failing fixture on 3 ranks and returns the rejection and how long it took. */
async function failure(mode: string, extra: { timeoutMs?: number } = {}) {
  const started = performance.now();
  const error = await launchRanks({ worldSize: 3, module: failing, args: { mode }, ...extra }).then(
    (results) => ({ message: `resolved with ${JSON.stringify(results)}` }) as never,
    (rejection: Error & { code?: string; cause?: Error & { code?: string } }) => rejection,
  );
  return { error, milliseconds: performance.now() - started };
}

describe('launchRanks when a rank fails', () => {
  it('rejects at once with the throwing rank and its original error while the others block in allReduce', async () => {
    const { error, milliseconds } = await failure('throw');
    expect(error.code).toBe('RANK_FAILED');
    expect(error.message).toMatch(/^launchRanks: rank 1 of 3 failed: boom from rank 1$/);
    expect(error.cause!.message).toBe('boom from rank 1');
    expect(error.cause!.stack).toMatch(/failing\.mjs/); // the worker's stack, not the main thread's
    expect(milliseconds).toBeLessThan(3000); // watchdog default is 10 min: only the abort flag can be this fast
  });

  it('brings the group down when a worker exits without returning', async () => {
    const { error, milliseconds } = await failure('exit');
    expect(error.code).toBe('RANK_FAILED');
    expect(error.message).toMatch(/rank 1 of 3 exited: the worker exited with code 3 before the rank function returned/);
    expect(milliseconds).toBeLessThan(3000);
  });

  it('names a rank that returned while the others wait for it in a collective', async () => {
    const { error, milliseconds } = await failure('return');
    expect(error.cause!.code).toBe('COLLECTIVE_MISMATCH');
    expect(error.message).toMatch(/allReduce on rank [02]: rank 1 returned from the rank function without making this call/);
    expect(milliseconds).toBeLessThan(3000);
  });

  it('times out a collective after timeoutMs, naming the collective and the rank that did not arrive', async () => {
    const { error, milliseconds } = await failure('stall', { timeoutMs: 300 });
    expect(error.cause!.code).toBe('COLLECTIVE_TIMEOUT');
    expect(error.message).toMatch(/allReduce on rank [02] timed out after \d+ ms: rank 1 did not arrive/);
    expect(milliseconds).toBeGreaterThanOrEqual(300);
    expect(milliseconds).toBeLessThan(3000); // and the stalled worker (blocked in Atomics.wait for 30 s) is terminated
  });

  it.each([
    ['length', 'COLLECTIVE_MISMATCH', /allReduce: lengths differ across ranks \(by rank: 4, 5, 4\)/],
    ['type', 'COLLECTIVE_MISMATCH', /allReduce: data types differ across ranks \(by rank: float32, int32, float32\)/],
    ['kind', 'COLLECTIVE_MISMATCH', /collective call #1 differs across ranks \(by rank: allReduce, barrier, allReduce\)/],
    ['op', 'UNKNOWN_REDUCE_OP', /rank 1 of 3 failed: allReduce: unknown reduce op 'product': choose one of sum, max, min, mean/],
    ['unclonable', 'RANK_RESULT_NOT_CLONEABLE', /rank 1 of 3 failed: .*return plain data/],
  ])('rejects a rank whose call does not match (%s) with %s', async (mode, code, message) => {
    const { error, milliseconds } = await failure(mode);
    expect(error.code).toBe('RANK_FAILED');
    expect(error.cause!.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(milliseconds).toBeLessThan(3000);
  });
});

describe('launchRanks arguments', () => {
  it('rejects an invalid world size, module, export, slot size or timeout before starting workers', async () => {
    await expect(launchRanks({ worldSize: 0, module: failing })).rejects.toMatchObject({ code: 'INVALID_WORLD_SIZE' });
    await expect(launchRanks({ worldSize: 1.5, module: failing })).rejects.toThrow(/worldSize must be an integer >= 1, got 1\.5/);
    await expect(launchRanks({ worldSize: 2, module: './no-such-rank.mjs' })).rejects.toMatchObject({ code: 'RANK_MODULE_NOT_FOUND' });
    await expect(launchRanks({ worldSize: 2, module: 'https://example.com/rank.mjs' })).rejects.toMatchObject({ code: 'INVALID_RANK_MODULE' });
    await expect(launchRanks({ worldSize: 2, module: failing, slotBytes: 2 })).rejects.toMatchObject({ code: 'INVALID_SLOT_BYTES' });
    await expect(launchRanks({ worldSize: 2, module: failing, timeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_TIMEOUT' });
    await expect(launchRanks({ worldSize: 2, module: failing, args: { f() {} } })).rejects.toMatchObject({ code: 'RANK_ARGUMENTS_NOT_CLONEABLE' });
  });

  it('names the exported functions when exportName is missing', async () => {
    const error = await launchRanks({ worldSize: 2, module: failing, exportName: 'nope' }).catch((rejection) => rejection);
    expect(error.code).toBe('RANK_FAILED');
    expect(error.cause.code).toBe('RANK_FUNCTION_NOT_FOUND');
    expect(error.message).toMatch(/has no exported function 'nope' \(exported functions: default, named\)/);
  });
});
