import type { CommandDefinition, OptionSpec } from './command';
import { GLOBAL_OPTIONS } from './global-options';

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`;
    const extra = spec.default !== undefined ? ` (default ${String(spec.default)})` : spec.multiple ? ' (repeatable)' : '';
    return [flag, `${spec.description}${extra}`] as const;
  });
  const width = Math.max(0, ...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

/**
 * The `--help` text of a command: usage, summary, subcommands, options, details, examples.
 *
 * @example
 * formatHelp(zooCommand); // "Usage: bigface zoo [options]\n\nEvery model of the registry..."
 */
export function formatHelp(command: CommandDefinition): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary];
  if (command.subcommands?.length) {
    lines.push('', 'Commands:');
    const width = Math.max(...command.subcommands.map((sub) => sub.name.length));
    for (const sub of command.subcommands) lines.push(`  ${sub.name.padEnd(width)}  ${sub.summary}`);
  }
  if (Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (command.details) lines.push('', command.details.trim());
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((example) => `  ${example}`));
  return `${lines.join('\n')}\n`;
}
