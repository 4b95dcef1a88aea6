import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo, run } from '@bigface/cli';

describe('bigface demo --quick', () => {
  it('trains a teacher and two students, evaluates them and writes the report', async () => {
    const output = mkdtempSync(path.join(tmpdir(), 'bigface-cli-demo-'));
    const io = memoryIo({ cwd: output });
    const code = await run(['demo', '--quick', '--output', output, '--json'], io);
    expect(code, io.errors()).toBe(0);
    const events = io
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const result = events.at(-1);
    expect(result.type).toBe('result');
    expect(result.rows.map((row: { model: string }) => row.model)).toEqual(['teacher', 'student', 'student-distilled']);
    // The distilled student's steps carry a distillation loss; the plain student's do not.
    const steps = events.filter((event) => event.type === 'step');
    expect(steps.some((event) => event.run === 'student-distilled' && typeof event.distillationLoss === 'number')).toBe(true);
    expect(steps.filter((event) => event.run === 'student').every((event) => event.distillationLoss === null)).toBe(true);
    expect(events.filter((event) => event.type === 'evaluation')).toHaveLength(3);

    const report = path.join(output, 'report');
    for (const file of ['index.html', 'report.md', 'loss.svg', 'roc-standard.svg', 'roc-masked.svg', 'contact-sheet.png']) {
      expect(existsSync(path.join(report, file)), file).toBe(true);
    }
    const html = readFileSync(path.join(report, 'index.html'), 'utf8');
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('FNMR@FMR=');
    const markdown = readFileSync(path.join(report, 'report.md'), 'utf8');
    expect(markdown).toMatch(/\| teacher \| [0-9.]+ \[[0-9.]+, [0-9.]+\] \| [0-9.]+ \[[0-9.]+, [0-9.]+\] \|/);
    expect(markdown).toMatch(/The teacher (is clearly stronger|is not clearly stronger|is weaker|could not be compared)/);
    // The verdict on the teacher follows its paired interval alone.
    const { teacherVsStudent } = result;
    for (const protocol of ['masked', 'standard']) expect(teacherVsStudent[protocol].low).toBeLessThanOrEqual(teacherVsStudent[protocol].high);
    if (teacherVsStudent.masked.high < 0 && teacherVsStudent.standard.high < 0) expect(markdown).toContain('The teacher is clearly stronger');
    expect(markdown).toMatch(/Distillation (helped|made the student worse|gave mixed results|did not clearly help|could not be judged)/);
  }, 180_000);
});
