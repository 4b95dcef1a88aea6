import type { CliIo } from './cli-io';

/** A progress line for long work: a bar on a terminal, plain lines otherwise, JSON events with --json. */
export interface Progress {
  /** Sets the current count (of `total`) and an optional suffix such as `loss 3.21`. */
  update(current: number, suffix?: string): void;
  done(suffix?: string): void;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/**
 * Where commands write: human text (`line`), machine events (`event`, one JSON object per line
 * with --json) and progress. With --json, stdout carries only JSON lines; human text goes to stderr.
 *
 * @example
 * const reporter = new Reporter(io, { json: false });
 * const progress = reporter.progress('packing', 100);
 * progress.update(50); progress.done();
 */
export class Reporter {
  constructor(
    readonly io: CliIo,
    readonly options: { json: boolean; now?: () => number },
  ) {}

  get json(): boolean {
    return this.options.json;
  }

  /** Human-readable text (stdout; stderr with --json). */
  line(text: string): void {
    (this.options.json ? this.io.stderr : this.io.stdout).write(`${text}\n`);
  }

  /** A warning on stderr (also a JSON event with --json). */
  warn(text: string): void {
    if (this.options.json) this.event({ type: 'warning', message: text });
    else this.io.stderr.write(`warning: ${text}\n`);
  }

  /** One JSON line on stdout with --json; nothing otherwise. */
  event(object: Record<string, unknown>): void {
    if (this.options.json) this.io.stdout.write(`${JSON.stringify(object)}\n`);
  }

  /** A result: JSON line with --json, else the given human text. */
  result(object: Record<string, unknown>, human: string): void {
    if (this.options.json) this.event({ type: 'result', ...object });
    else this.line(human);
  }

  /** A progress display over `total` units of work labelled `label`. */
  progress(label: string, total: number): Progress {
    const now = this.options.now ?? (() => performance.now());
    const started = now();
    const tty = !this.options.json && this.io.stdout.isTTY === true;
    // Plain lines and JSON progress: about ten per task (each 10 %), or every 10 s when units are slow.
    const every = Math.max(1, Math.ceil(total / 10));
    let lastPrinted = 0;
    let lastTime = started;
    const due = (current: number, final: boolean) => {
      if (!final && current - lastPrinted < every && now() - lastTime < 10_000) return false;
      lastPrinted = current;
      lastTime = now();
      return true;
    };
    const render = (current: number, suffix: string | undefined, final: boolean) => {
      const elapsed = (now() - started) / 1000;
      const fraction = total > 0 ? Math.min(1, current / total) : 1;
      const eta = current > 0 && !final ? formatSeconds((elapsed / current) * (total - current)) : formatSeconds(elapsed);
      const tail = `${current}/${total}${suffix ? ` ${suffix}` : ''} ${final ? 'in' : 'eta'} ${eta}`;
      if (this.options.json) {
        if (due(current, final)) {
          this.event({ type: 'progress', task: label, current, total, elapsedSeconds: Number(elapsed.toFixed(3)), ...(suffix ? { detail: suffix } : {}) });
        }
      } else if (tty) {
        const width = Math.max(10, Math.min(30, (this.io.stdout.columns ?? 80) - label.length - tail.length - 12));
        const filled = Math.round(fraction * width);
        this.io.stdout.write(
          `\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${tail}\u001b[K${final ? '\n' : ''}`,
        );
      } else if (due(current, final)) {
        this.io.stdout.write(`${label}: ${(fraction * 100).toFixed(0)}% ${tail}\n`);
      }
    };
    return {
      update: (current, suffix) => render(current, suffix, false),
      done: (suffix) => render(total, suffix, true),
    };
  }
}
