import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunMetrics } from './read-run-metrics';

describe('readRunMetrics', () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'run-metrics-'));
  const line = (step: number, loss: number, imagesPerSecond: number) => JSON.stringify({ step, loss, imagesPerSecond, stepSeconds: 0.25 * step });

  it('reads the loss curve, the median speed after the first step and the training time', () => {
    const file = path.join(directory, 'metrics.jsonl');
    writeFileSync(file, `${[line(1, 40, 5), line(2, 30, 100), line(3, 20, 300), line(4, 10, 200)].join('\n')}\n`);
    expect(readRunMetrics(file)).toEqual({
      losses: [
        [1, 40],
        [2, 30],
        [3, 20],
        [4, 10],
      ],
      imagesPerSecond: 200,
      trainingSeconds: 2.5, // 0.25 + 0.5 + 0.75 + 1
    });
    expect(readRunMetrics(path.join(directory, 'missing.jsonl'))).toEqual({ losses: [], imagesPerSecond: 0, trainingSeconds: 0 });
  });

  it('leaves out a truncated last line and names a corrupt one', () => {
    const truncated = path.join(directory, 'truncated.jsonl');
    writeFileSync(truncated, `${line(1, 40, 5)}\n${line(2, 30, 100)}\n{"step":3,"lo`);
    expect(readRunMetrics(truncated).losses).toEqual([
      [1, 40],
      [2, 30],
    ]);
    const corrupt = path.join(directory, 'corrupt.jsonl');
    writeFileSync(corrupt, `${line(1, 40, 5)}\nnot json\n${line(3, 20, 300)}\n`);
    expect(() => readRunMetrics(corrupt)).toThrow(/corrupt\.jsonl, line 2: not JSON/);
  });
});
