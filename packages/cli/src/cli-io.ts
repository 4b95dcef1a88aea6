/** A text sink: process.stdout / process.stderr, or a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
  /** True when the sink is a terminal: progress bars redraw in place; otherwise plain lines. */
  isTTY?: boolean;
  columns?: number;
}

/** Everything a command touches outside its arguments, so that tests run the CLI in-process. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  /** Directory relative paths resolve against. */
  cwd: string;
  env: Record<string, string | undefined>;
  /** Aborted on SIGINT: long commands stop at the next safe point and exit 130. */
  signal?: AbortSignal;
}

/**
 * The real process's streams, directory and environment.
 *
 * @example
 * const code = await run(process.argv.slice(2), processIo());
 */
export function processIo(signal?: AbortSignal): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env, signal };
}

/**
 * An in-memory {@link CliIo} for tests and scripts: `output()` / `errors()` return what was written.
 *
 * @example
 * const io = memoryIo();
 * await run(['zoo'], io);
 * io.output(); // the table
 */
export function memoryIo(options: { cwd?: string; isTTY?: boolean; env?: Record<string, string | undefined>; signal?: AbortSignal } = {}): CliIo & {
  output(): string;
  errors(): string;
} {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: { write: (text: string) => out.push(text), isTTY: options.isTTY ?? false, columns: 100 },
    stderr: { write: (text: string) => err.push(text), isTTY: options.isTTY ?? false, columns: 100 },
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
    signal: options.signal,
    output: () => out.join(''),
    errors: () => err.join(''),
  };
}
