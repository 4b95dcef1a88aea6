import { isBigFaceError } from '@bigface/backend/errors';
import type { CliIo } from './cli-io';
import type { CommandDefinition } from './command';
import { COMMANDS } from './commands/index';
import { didYouMean } from './did-you-mean';
import { EXIT_CODES, exitCodeFor } from './exit-codes';
import { formatHelp } from './help-text';
import { parseCommandArguments } from './parse-command-arguments';
import { Reporter } from './reporter';

/** The top-level `bigface --help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'Usage: bigface <command> [options]',
    '',
    'BigFace: train big face-recognition IResNets with CosFace, PartialFC, LARS, masked-face augmentation and distillation.',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `bigface <command> --help` for its options. Global options: --json, --verbose, --help.',
    'Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 3 input data error, 130 interrupted.',
    '',
  ].join('\n');
}

function version(): string {
  return '0.0.0';
}

class UsageError extends Error {
  readonly code = 'USAGE_ERROR';
  override readonly name = 'BigFaceError';
}

function usage(message: string): never {
  throw Object.assign(new UsageError(message), {});
}

/**
 * Runs `bigface` on `argv` (without `node` and the script) against `io`; resolves with the exit
 * code. Never throws: errors are printed here, in exactly one place — a BigFaceError as one line
 * `error [CODE]: message` (the stack only with --verbose), anything else with its stack.
 *
 * @example
 * import { run, memoryIo } from '@bigface/cli';
 * const io = memoryIo();
 * const code = await run(['plan', '--model', 'r600', '--classes', '2059906', '--gpus', '64'], io); // 0
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const json = argv.includes('--json');
  const reporter = new Reporter(io, { json });
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      const target = first === 'help' ? rest[0] : undefined;
      if (target !== undefined) return await run([target, '--help'], io);
      io.stdout.write(mainHelp());
      return first === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
    }
    if (first === '--version') {
      io.stdout.write(`${version()}\n`);
      return EXIT_CODES.ok;
    }
    let command = COMMANDS.find((candidate) => candidate.name === first);
    if (command === undefined) {
      const names = COMMANDS.map((candidate) => candidate.name);
      const close = first.startsWith('-') ? null : didYouMean(first, names);
      usage(
        `${first.startsWith('-') ? `unknown option '${first}' before a command` : `unknown command '${first}'`}${close ? ` (did you mean '${close}'?)` : ''}; commands: ${names.join(', ')}`,
      );
    }
    let args = rest;
    if (command.subcommands) {
      const [sub, ...subRest] = rest;
      const found = command.subcommands.find((candidate) => candidate.name === `${command!.name} ${sub}`);
      if (found) {
        command = found;
        args = subRest;
      } else if (sub === undefined || sub === '--help' || sub === '-h') {
        io.stdout.write(formatHelp(command));
        return sub === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
      } else {
        const names = command.subcommands.map((candidate) => candidate.name.split(' ')[1]!);
        const close = didYouMean(sub, names);
        usage(`unknown subcommand '${command.name} ${sub}'${close ? ` (did you mean '${command.name} ${close}'?)` : ''}; subcommands: ${names.join(', ')}`);
      }
    }
    const definition: CommandDefinition = command;
    const { values, positionals } = parseCommandArguments(args, definition);
    if (values.help) {
      io.stdout.write(formatHelp(definition));
      return EXIT_CODES.ok;
    }
    const code = await definition.run!({ io, values, positionals, reporter, verbose });
    return code ?? EXIT_CODES.ok;
  } catch (error) {
    const systemCode = (error as { code?: unknown; syscall?: unknown })?.syscall !== undefined ? String((error as { code?: unknown }).code) : '';
    const fileError = /^(ENOENT|EACCES|EISDIR|ENOTDIR|EEXIST|ENOSPC|EROFS)$/.test(systemCode);
    const code = error instanceof UsageError ? EXIT_CODES.usage : fileError ? EXIT_CODES.data : exitCodeFor(error);
    const isKnown = error instanceof UsageError || isBigFaceError(error) || fileError;
    const { code: errorCode, message } = isKnown
      ? (error as { code: string; message: string })
      : { code: 'INTERNAL', message: String((error as Error)?.message ?? error) };
    if (json) io.stdout.write(`${JSON.stringify({ type: 'error', code: errorCode, message, exitCode: code })}\n`);
    io.stderr.write(`error [${errorCode}]: ${message}\n`);
    if (verbose || !isKnown) io.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    if (code === EXIT_CODES.usage && !verbose) io.stderr.write('(run with --help for usage)\n');
    return code;
  }
}
