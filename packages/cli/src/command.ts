import type { CliIo } from './cli-io';
import type { Reporter } from './reporter';

/** One flag of a command. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help, e.g. `<file>`. */
  value?: string;
  description: string;
  default?: string | boolean;
}

/** What a command's `run` receives. */
export interface CommandContext {
  io: CliIo;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  reporter: Reporter;
  verbose: boolean;
}

/** A `bigface` command (or subcommand): its help text and what it does. */
export interface CommandDefinition {
  name: string;
  summary: string;
  /** e.g. `bigface mask <input> --output <path> [options]` */
  usage: string;
  options: Record<string, OptionSpec>;
  examples?: string[];
  /** Extra paragraphs after the options in `--help`. */
  details?: string;
  /** Positional arguments accepted: [min, max]. */
  positionals?: [number, number];
  subcommands?: CommandDefinition[];
  /** The exit code; a command that returns nothing succeeded (0). */
  // biome-ignore lint/suspicious/noConfusingVoidType: an async run() without a return statement is Promise<void>; nothing returned means exit 0
  run?(context: CommandContext): Promise<number | void>;
}
