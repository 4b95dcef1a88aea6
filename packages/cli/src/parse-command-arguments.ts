import { parseArgs } from 'node:util';
import { BigFaceError } from '@bigface/backend/errors';
import type { CommandDefinition } from './command';
import { didYouMean } from './did-you-mean';
import { GLOBAL_OPTIONS } from './global-options';

/** Parsed flags and positionals of one command line. */
export interface ParsedArguments {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * Parses `argv` against a command's options (plus the global ones) with node:util `parseArgs`.
 * An unknown flag, a string flag without a value or a wrong number of positionals throws
 * `USAGE_ERROR` naming the flag, a close match ("did you mean --output?") and the valid flags.
 *
 * @example
 * parseCommandArguments(['--model', 'r600', '--gpus', '64'], planCommand).values.gpus; // '64'
 */
export function parseCommandArguments(argv: readonly string[], command: CommandDefinition): ParsedArguments {
  const specs = { ...GLOBAL_OPTIONS, ...command.options };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  const names = Object.keys(specs);
  const where = `bigface ${command.name}`;
  const { values, positionals, tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = specs[token.name];
    if (spec === undefined) {
      const close = didYouMean(token.name, names);
      throw new BigFaceError(
        'USAGE_ERROR',
        `${where}: unknown option '${token.rawName}'${close ? ` (did you mean --${close}?)` : ''}; valid options: ${names.map((name) => `--${name}`).join(', ')}`,
      );
    }
    if (spec.type === 'string' && token.value === undefined) {
      throw new BigFaceError('USAGE_ERROR', `${where}: option --${token.name} needs a value ${spec.value ?? '<value>'}`);
    }
    if (spec.type === 'boolean' && token.inlineValue) {
      throw new BigFaceError('USAGE_ERROR', `${where}: option --${token.name} is a switch and takes no value (got '${token.rawName}=${token.value}')`);
    }
  }
  const result: ParsedArguments['values'] = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = values[name];
    result[name] = value === undefined ? spec.default : (value as string | boolean | string[]);
  }
  const [min, max] = command.positionals ?? [0, 0];
  if (!result.help && (positionals.length < min || positionals.length > max)) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new BigFaceError(
      'USAGE_ERROR',
      `${where}: expected ${expected} argument${max === 1 ? '' : 's'}, got ${positionals.length}${positionals.length ? ` (${positionals.join(' ')})` : ''}; usage: ${command.usage}`,
    );
  }
  return { values: result, positionals };
}

/** A string flag as a number, or a USAGE_ERROR naming the flag. */
export function numberOption(values: ParsedArguments['values'], name: string, options: { integer?: boolean; min?: number } = {}): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const ok =
    typeof raw === 'string' &&
    raw.trim() !== '' &&
    Number.isFinite(value) &&
    (!options.integer || Number.isInteger(value)) &&
    (options.min === undefined || value >= options.min);
  if (!ok) {
    throw new BigFaceError(
      'USAGE_ERROR',
      `--${name}: got '${String(raw)}'; expected ${options.integer ? 'an integer' : 'a number'}${options.min !== undefined ? ` >= ${options.min}` : ''}`,
    );
  }
  return value;
}

/** A required string flag, or a USAGE_ERROR naming it. */
export function requiredString(values: ParsedArguments['values'], name: string, what: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new BigFaceError('USAGE_ERROR', `--${name} is required: ${what}`);
  return value;
}
