import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');

describe('the built bin (child process)', () => {
  it('runs zoo and maps a usage error to exit 2', () => {
    const zoo = spawnSync(process.execPath, [bin, 'zoo', '--json'], { encoding: 'utf8' });
    expect(zoo.status).toBe(0);
    expect(JSON.parse(zoo.stdout.split('\n')[0]!)).toMatchObject({ name: 'r18', parameters: 24_025_600 });
    const bad = spawnSync(process.execPath, [bin, 'zoo', '--foo'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown option '--foo'");
  });

  it('trains with JSON events, stops on SIGINT with a checkpoint (exit 130) and resumes', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'bigface-cli-bin-'));
    const args = [
      bin,
      'train',
      '--config',
      'synth-tiny-cosface',
      '--output',
      'run',
      '--world-size',
      '1',
      '--batch',
      '16',
      '--steps',
      '40',
      '--set',
      'data.identities=8',
      '--set',
      'data.imagesPerIdentity=4',
      '--set',
      'data.imageSize=32',
      '--set',
      'evaluation.heldOutIdentities=0',
      '--json',
    ];
    const child = spawn(process.execPath, args, { cwd });
    const events: { type: string; step?: number; result?: { completed: boolean; steps: number } }[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const event = JSON.parse(line);
        events.push(event);
        if (event.type === 'step' && event.step === 2) child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(130);
    expect(events[0]).toMatchObject({ type: 'start', totalSteps: 40, startStep: 0 });
    const end = events.find((event) => event.type === 'end')!;
    expect(end.result!.completed).toBe(false);
    const stoppedAt = end.result!.steps;
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(stoppedAt).toBeLessThan(40);

    const resumed = spawnSync(process.execPath, [...args.slice(0, -1).map((arg) => (arg === '40' ? String(stoppedAt + 1) : arg)), '--resume', '--json'], {
      cwd,
      encoding: 'utf8',
    });
    expect(resumed.status, resumed.stderr).toBe(0);
    const start = JSON.parse(resumed.stdout.split('\n')[0]!);
    expect(start).toMatchObject({ type: 'start', startStep: stoppedAt });
  });
});
