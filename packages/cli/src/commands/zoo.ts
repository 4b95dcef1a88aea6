import { BACKBONES, countFlops, countParameters, resolveIResNetConfig } from '@bigface/resnet-zoo';
import type { CommandDefinition } from '../command';
import { numberOption } from '../parse-command-arguments';

/** One row of `bigface zoo`. */
export interface ZooRow {
  name: string;
  layers: number[];
  depth: number;
  parameters: number;
  gflops: number;
  gmacs: number;
  source: string;
}

/**
 * Every registry model's layers, depth, parameters and GFLOPs, counted from the architecture
 * (no weights are built).
 *
 * @example
 * zooRows().find((row) => row.name === 'r18')?.parameters; // 24025600
 */
export function zooRows(options: { embeddingSize?: number; inputSize?: number } = {}): ZooRow[] {
  return Object.entries(BACKBONES).map(([name, spec]) => {
    const architecture = { backbone: name, embeddingSize: options.embeddingSize, inputSize: options.inputSize };
    const config = resolveIResNetConfig(architecture);
    const flops = countFlops(architecture);
    return {
      name,
      layers: [...config.layers],
      depth: 2 * config.layers.reduce((a, b) => a + b, 0) + 2,
      parameters: countParameters(architecture),
      gflops: flops.gflops,
      gmacs: flops.gmacs,
      source: spec.source,
    };
  });
}

export const zooCommand: CommandDefinition = {
  name: 'zoo',
  summary: 'List every IResNet of the registry: layers, depth, parameters and GFLOPs (counted, no weights built).',
  usage: 'bigface zoo [--embedding-size 512] [--input-size 112] [--json]',
  options: {
    'embedding-size': { type: 'string', value: '<n>', description: 'embedding size', default: '512' },
    'input-size': { type: 'string', value: '<px>', description: 'input height and width', default: '112' },
  },
  examples: ['bigface zoo', 'bigface zoo --json | jq .parameters'],
  async run({ values, reporter }) {
    const rows = zooRows({
      embeddingSize: numberOption(values, 'embedding-size', { integer: true, min: 1 }),
      inputSize: numberOption(values, 'input-size', { integer: true, min: 16 }),
    });
    if (reporter.json) {
      for (const row of rows) reporter.event({ type: 'model', ...row });
      return;
    }
    const table = [
      ['name', 'layers', 'depth', 'parameters', 'GFLOPs', 'GMACs', 'source'],
      ...rows.map((row) => [
        row.name,
        `[${row.layers.join(', ')}]`,
        String(row.depth),
        row.parameters.toLocaleString('en-US'),
        row.gflops.toFixed(1),
        row.gmacs.toFixed(2),
        row.source,
      ]),
    ];
    const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
    for (const line of table)
      reporter.line(
        line
          .map((cell, column) => (column >= 2 && column <= 5 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
          .join('  ')
          .trimEnd(),
      );
  },
};
