import { existsSync, readFileSync } from 'node:fs';
import { BigFaceError } from '@bigface/backend/errors';

/** What the reports plot and tabulate from a run's metrics.jsonl. */
export interface RunMetrics {
  /** [step, loss] of every logged step. */
  losses: [number, number][];
  /** Median images per second over the logged steps after the first (0 when there are none). */
  imagesPerSecond: number;
  /** Seconds spent in the logged training steps (their `stepSeconds` summed): the same whether the run just trained or was reused. */
  trainingSeconds: number;
}

/**
 * The loss curve and median speed of a run from its `metrics.jsonl` (empty when the file does not
 * exist). A truncated last line (a run killed while writing it) is left out; any other line that is
 * not JSON is a METRICS_INVALID error naming the file and the line.
 */
export function readRunMetrics(metricsPath: string): RunMetrics {
  if (!existsSync(metricsPath)) return { losses: [], imagesPerSecond: 0, trainingSeconds: 0 };
  const texts = readFileSync(metricsPath, 'utf8').split('\n');
  const lines: { step: number; loss: number; imagesPerSecond: number; stepSeconds?: number }[] = [];
  texts.forEach((text, index) => {
    if (text.trim() === '') return;
    try {
      lines.push(JSON.parse(text));
    } catch {
      const last = texts.slice(index + 1).every((rest) => rest.trim() === '');
      if (!last)
        throw new BigFaceError('METRICS_INVALID', `${metricsPath}, line ${index + 1}: not JSON; the run's metrics log is corrupt (rerun it with --fresh)`);
    }
  });
  const speeds = lines
    .slice(1)
    .map((line) => line.imagesPerSecond)
    .sort((a, b) => a - b);
  const trainingSeconds = lines.reduce((total, line) => total + (Number.isFinite(line.stepSeconds) ? line.stepSeconds! : 0), 0);
  return { losses: lines.map((line) => [line.step, line.loss]), imagesPerSecond: speeds.length ? speeds[Math.floor(speeds.length / 2)]! : 0, trainingSeconds };
}
