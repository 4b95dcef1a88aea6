import { describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io';
import { Reporter } from './reporter';

describe('Reporter', () => {
  it('draws a bar in place on a TTY', () => {
    const io = memoryIo({ isTTY: true });
    const progress = new Reporter(io, { json: false, now: () => 0 }).progress('work', 4);
    progress.update(2);
    progress.done();
    expect(io.output()).toContain('\rwork [');
    expect(io.output()).toContain(' 50% 2/4');
    expect(io.output().endsWith('\n')).toBe(true);
  });

  it('degrades to plain lines when not a TTY, about ten per task', () => {
    const io = memoryIo({ isTTY: false });
    const progress = new Reporter(io, { json: false, now: () => 0 }).progress('work', 100);
    for (let i = 1; i <= 100; i++) progress.update(i);
    progress.done();
    const lines = io.output().trim().split('\n');
    expect(io.output()).not.toContain('\r');
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.length).toBeLessThanOrEqual(11);
    expect(lines.at(-1)).toMatch(/^work: 100% 100\/100/);
  });

  it('prints only JSON lines on stdout with --json', () => {
    const io = memoryIo({ isTTY: true });
    const reporter = new Reporter(io, { json: true, now: () => 0 });
    reporter.line('human text');
    const progress = reporter.progress('work', 2);
    progress.update(1);
    progress.done();
    reporter.result({ value: 1 }, 'value 1');
    const lines = io
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.type)).toEqual(['progress', 'progress', 'result']);
    expect(io.errors()).toBe('human text\n');
  });
});
