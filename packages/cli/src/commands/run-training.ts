import { BigFaceError } from '@bigface/backend/errors';
import type { TrainConfig, TrainEvent, TrainResult } from '@bigface/train';
import { stringify as toYaml } from 'yaml';
import type { CommandContext } from '../command';
import { EXIT_CODES } from '../exit-codes';
import type { Progress, Reporter } from '../reporter';

/** A TrainEvent as a JSON line: the config and full verification reports left out (they are in the run directory). */
export function eventForJson(event: TrainEvent): Record<string, unknown> {
  switch (event.type) {
    case 'start': {
      const { config, ...rest } = event;
      return { ...rest, name: config.name, outputDir: config.outputDir };
    }
    case 'evaluation':
      return { type: 'evaluation', step: event.step, epoch: event.result.epoch, pairs: event.result.pairs, summaries: event.result.summaries };
    case 'end': {
      const { evaluations, ...result } = event.result;
      return {
        type: 'end',
        step: event.step,
        seconds: event.seconds,
        result: { ...result, evaluations: evaluations.map((e) => ({ step: e.step, summaries: e.summaries })) },
      };
    }
    default:
      return { ...event };
  }
}

function percent(value: number | null): string {
  return value === null ? 'n/a' : `${(100 * value).toFixed(2)}%`;
}

/** Human lines for one evaluation. */
export function evaluationLines(result: {
  step: number;
  pairs: number;
  summaries: {
    protocol: string;
    accuracy: number;
    areaUnderRoc: number;
    equalErrorRate: number;
    falseNonMatchRate: { falseMatchRate: number; value: number | null }[];
  }[];
}): string[] {
  return result.summaries.map((summary) => {
    const fnmr = summary.falseNonMatchRate.map((point) => `FNMR@FMR${point.falseMatchRate}=${percent(point.value)}`).join(' ');
    return `  ${summary.protocol.padEnd(8)} accuracy ${percent(summary.accuracy)}  AUC ${summary.areaUnderRoc.toFixed(4)}  EER ${percent(summary.equalErrorRate)}  ${fnmr}`;
  });
}

/** The line that announces a resume at another world size or global batch. */
export function resumeChangeLine(change: NonNullable<Extract<TrainEvent, { type: 'start' }>['resumeChange']>, scaledLearningRate: number): string {
  const pin =
    change.fromGlobalBatch % change.worldSize === 0
      ? ` (to keep ${change.fromGlobalBatch}, use --batch ${change.fromGlobalBatch / change.worldSize})`
      : ` (${change.fromGlobalBatch} images are not a multiple of ${change.worldSize} ranks)`;
  return (
    `moving the run: written by ${change.fromWorldSize} rank(s) with ${change.fromGlobalBatch} images per step, continuing on ${change.worldSize} with ${change.globalBatch}; ` +
    `epoch ${change.epoch} continues after image ${change.consumed} of ${change.epochImages}; ` +
    (change.globalBatch === change.fromGlobalBatch
      ? `the global batch and learning rate are unchanged`
      : `the learning rate follows the new global batch (linear scaling: ${scaledLearningRate.toPrecision(3)})${pin}`)
  );
}

/** The onEvent handler of a training run: progress bar / lines / JSON. */
export function trainEventPrinter(reporter: Reporter, label: string): (event: TrainEvent) => void {
  let progress: Progress | null = null;
  let startStep = 0;
  let total = 0;
  return (event) => {
    if (reporter.json) reporter.event({ ...eventForJson(event), ...(label ? { run: label } : {}) });
    switch (event.type) {
      case 'start':
        startStep = event.startStep;
        total = event.totalSteps;
        if (!reporter.json) {
          reporter.line(
            `${label || event.config.name}: ${event.totalSteps} steps (${event.stepsPerEpoch}/epoch), ${event.numClasses} classes, ${event.trainImages} images, global batch ${event.globalBatch}, lr ${event.scaledLearningRate.toPrecision(3)}, backend ${event.backendDescription}${event.resumedFrom ? `, resumed from ${event.resumedFrom}` : ''}`,
          );
        }
        if (!reporter.json && event.resumeChange) reporter.line(resumeChangeLine(event.resumeChange, event.scaledLearningRate));
        progress = reporter.json ? null : reporter.progress(label || 'train', total - startStep);
        break;
      case 'step':
        progress?.update(
          event.step - startStep,
          `loss ${event.loss.toFixed(3)} acc ${(100 * event.accuracy).toFixed(1)}% lr ${event.lr.toExponential(2)} ${event.imagesPerSecond.toFixed(0)} img/s`,
        );
        break;
      case 'evaluation':
        if (!reporter.json) {
          progress?.update(event.step - startStep, 'evaluated');
          reporter.line(`evaluation at step ${event.step} (${event.result.pairs} pairs):`);
          for (const text of evaluationLines(event.result)) reporter.line(text);
        }
        break;
      case 'checkpoint':
        break;
      case 'warning':
        if (!reporter.json) reporter.warn(`step ${event.step}: ${event.message}`);
        break;
      case 'end':
        progress?.done(event.result.finalMetrics ? `loss ${event.result.finalMetrics.loss.toFixed(3)}` : undefined);
        break;
    }
  };
}

/** Runs @bigface/train on a resolved config with the CLI's printing; returns the exit code and result. */
export async function runTraining(
  context: CommandContext,
  config: TrainConfig,
  options: { resume?: 'auto' | boolean; label?: string } = {},
): Promise<{ code: number; result: TrainResult }> {
  const { train } = await import('@bigface/train');
  const result = await train(config, {
    onEvent: trainEventPrinter(context.reporter, options.label ?? ''),
    signal: context.io.signal,
    resume: options.resume ?? 'auto',
  });
  if (!result.completed) {
    context.reporter.line(`stopped at step ${result.steps}; checkpoint ${result.finalCheckpoint} (rerun the same command to resume)`);
    return { code: EXIT_CODES.interrupted, result };
  }
  if (!context.reporter.json) {
    context.reporter.line(`done: ${result.steps} steps; backbone ${result.backbonePath}; metrics ${result.metricsPath}`);
  }
  return { code: EXIT_CODES.ok, result };
}

/** `--print-config`: the resolved config as YAML (JSON with --json). */
export function printConfig(reporter: Reporter, config: TrainConfig): void {
  if (reporter.json) reporter.event({ type: 'config', config });
  else reporter.io.stdout.write(toYaml(config));
}

/** `--resume` / `--fresh` → train()'s resume option. */
export function resumeOption(values: CommandContext['values']): 'auto' | boolean {
  if (values.resume && values.fresh) throw new BigFaceError('USAGE_ERROR', '--resume and --fresh exclude each other');
  return values.resume ? true : values.fresh ? false : 'auto';
}
