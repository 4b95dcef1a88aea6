import type { OptionSpec } from './command';

/** Flags every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'print one JSON object per event / result line (for machines)' },
  verbose: { type: 'boolean', short: 'v', description: 'print stack traces of errors' },
};
