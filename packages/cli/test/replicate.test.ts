import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo, run } from '@bigface/cli';

describe('bigface replicate --scale test', () => {
  it('trains every arm at two seeds, verifies them on shared pairs, and reports each claim with an interval', async () => {
    const output = mkdtempSync(path.join(tmpdir(), 'bigface-cli-replicate-'));
    const io = memoryIo({ cwd: output });
    const code = await run(['replicate', '--scale', 'test', '--output', output, '--json'], io);
    expect(code, io.errors()).toBe(0);
    const events = io
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const result = events.at(-1);
    expect(result.type).toBe('result');
    // 5 arms × 2 seeds, each a run of its own; only the distilled student carries a distillation loss.
    const runs = new Set(events.filter((event) => event.type === 'step').map((event) => event.run));
    expect([...runs].sort()).toEqual(
      [
        'student s0',
        'student s1',
        'student-distilled s0',
        'student-distilled s1',
        'student-mask-0 s0',
        'student-mask-0 s1',
        'student-mask-0.5 s0',
        'student-mask-0.5 s1',
        'teacher s0',
        'teacher s1',
      ].sort(),
    );
    expect(
      events.filter((event) => event.type === 'step' && event.run.startsWith('student-distilled')).every((event) => typeof event.distillationLoss === 'number'),
    ).toBe(true);
    expect(events.filter((event) => event.type === 'step' && event.run === 'student s0').every((event) => event.distillationLoss === null)).toBe(true);

    // Every claim row has an interval around its estimate and a verdict that follows the interval alone.
    expect(result.claims.map((claim: { claim: number }) => claim.claim)).toEqual([1, 2, 3]);
    expect(result.rows.length).toBe(9);
    for (const row of result.rows) {
      expect(row.low).toBeLessThanOrEqual(row.estimate + 1e-12);
      expect(row.high).toBeGreaterThanOrEqual(row.estimate - 1e-12);
      if (row.status !== 'measured') expect(row.status === 'shown').toBe(row.high < 0);
    }

    const report = path.join(output, 'report');
    for (const file of ['index.html', 'report.md', 'results.json', 'loss.svg', 'roc-masked.svg', 'roc-standard.svg'])
      expect(existsSync(path.join(report, file)), file).toBe(true);
    const results = JSON.parse(readFileSync(path.join(report, 'results.json'), 'utf8'));
    expect(results.pairs.map((pairs: { seed: number }) => pairs.seed)).toEqual([0, 1]);
    expect(results.runs).toHaveLength(10);
    // Every arm of a seed shares that seed's steps.
    for (const seed of [0, 1])
      expect(new Set(results.runs.filter((r: { seed: number }) => r.seed === seed).map((r: { steps: number }) => r.steps)).size).toBe(1);
    const markdown = readFileSync(path.join(report, 'report.md'), 'utf8');
    expect(markdown).toMatch(/\| teacher \| [0-9.]+ \[[0-9.]+, [0-9.]+\] \| [0-9.]+ \[[0-9.]+, [0-9.]+\] \|/);
    expect(markdown).toMatch(/\| 3 \| distilled − plain student, masked \| (shown|not shown|not shown \(the opposite\)) \| [-+]?[0-9.]+ \[/);
    expect(markdown).toMatch(/load average \(1 min\) [0-9.]+ at the start/);
    const html = readFileSync(path.join(report, 'index.html'), 'utf8');
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(3);

    // A second call reuses the finished runs (no new training steps) and gives the same numbers.
    const again = memoryIo({ cwd: output });
    expect(await run(['replicate', '--scale', 'test', '--output', output, '--json'], again), again.errors()).toBe(0);
    const second = again
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(second.filter((event) => event.type === 'step')).toHaveLength(0);
    expect(second.at(-1).rows).toEqual(result.rows);
  }, 300_000);

  it('names the bad argument and the fix', async () => {
    const io = memoryIo();
    expect(await run(['replicate', '--scale', 'huge'], io)).toBe(2);
    expect(io.errors()).toContain("--scale: got 'huge'; choose one of full, quick, test");
    const seeds = memoryIo();
    expect(await run(['replicate', '--seeds', '0,0'], seeds)).toBe(2);
    expect(seeds.errors()).toContain("--seeds: got '0,0'; expected distinct non-negative integers");
  });
});
