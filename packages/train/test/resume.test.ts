import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '@bigface/backend';
import { afterAll, describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./fixtures/train-child.mjs', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'bigface-resume-'));
const cacheDir = path.join(root, 'cache');

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the child; with `killAtStep`, sends SIGKILL as soon as it reports that step. */
function run(outputDir: string, killAtStep?: number): Promise<{ code: number | null; signal: string | null; output: string }> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, [child, outputDir, cacheDir], { cwd: path.dirname(child), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (killAtStep !== undefined && output.includes(`STEP ${killAtStep}\n`)) process_.kill('SIGKILL');
    };
    process_.stdout.on('data', onData);
    process_.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    process_.on('error', reject);
    process_.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

const finalFiles = (outputDir: string) => {
  const directory = path.join(outputDir, 'checkpoints', 'step-00000010');
  return readdirSync(directory)
    .filter((file) => file.endsWith('.safetensors'))
    .sort()
    .map((file) => ({ file, bytes: readFileSync(path.join(directory, file)) }));
};

describe('exact resume', () => {
  it('a run killed with SIGKILL at a random step and resumed ends bit for bit like an uninterrupted one', async () => {
    const reference = await run(path.join(root, 'reference'));
    expect(reference.code, reference.output).toBe(0);
    // A seeded random step in 3..9, so that the kill falls between checkpoints (every 2 steps) or on one.
    const killAt = 3 + new Rng(2026).int(7);
    const interrupted = path.join(root, 'interrupted');
    const killed = await run(interrupted, killAt);
    expect(killed.signal, killed.output).toBe('SIGKILL');
    expect(killed.output).not.toContain('DONE');
    const resumed = await run(interrupted);
    expect(resumed.code, resumed.output).toBe(0);
    // The resumed attempt starts after the last checkpoint the killed one completed.
    const firstStep = Number(/STEP (\d+)/.exec(resumed.output)![1]);
    expect(firstStep).toBeGreaterThan(1);
    expect(firstStep).toBeLessThanOrEqual(killAt + 1);

    const expected = finalFiles(path.join(root, 'reference'));
    const actual = finalFiles(interrupted);
    expect(actual.map((f) => f.file)).toEqual(['backbone.safetensors', 'optimizer.safetensors', 'partial_fc.rank-0-of-1.safetensors']);
    expect(expected.map((f) => f.file)).toEqual(actual.map((f) => f.file));
    for (let i = 0; i < expected.length; i++) expect(Buffer.compare(actual[i]!.bytes, expected[i]!.bytes), expected[i]!.file).toBe(0);
    // The metrics log reads as one run: steps 1..10 once each.
    const steps = readFileSync(path.join(interrupted, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  }, 120_000);
});
