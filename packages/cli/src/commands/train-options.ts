import type { OptionSpec } from '../command';
import type { CliConfigSources } from '../config/resolve-cli-config';
import { numberOption, type ParsedArguments } from '../parse-command-arguments';

/** The config flags shared by `train`, `distill` and `eval`. */
export const CONFIG_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', short: 'c', value: '<preset|file>', description: 'a preset name or a YAML/JSON config (which may `extends:` a preset or file)' },
  set: { type: 'string', multiple: true, value: '<key.path=value>', description: 'override one config key, e.g. --set loss.m=0.5' },
  output: { type: 'string', short: 'o', value: '<dir>', description: 'run directory (outputDir)' },
  'world-size': { type: 'string', value: '<W>', description: 'ranks (distributed.worldSize)' },
  launcher: {
    type: 'string',
    value: '<auto|threads|processes>',
    description: 'how W > 1 ranks start: worker threads, or processes under mpirun (distributed.launcher; auto: processes for tfjs-node)',
  },
  seed: { type: 'string', value: '<n>', description: 'the one seed of every random choice' },
  backend: {
    type: 'string',
    value: '<auto|cpu|wasm|tensorflow>',
    description: 'tensor backend (auto: tfjs-node(-gpu) if installed, else native kernels, else wasm)',
  },
  precision: {
    type: 'string',
    value: '<fp32|bf16>',
    description: 'bf16: mixed precision (bf16 convolutions/matmuls and gradient exchange, fp32 accumulation; native kernels on AVX-512 BF16)',
  },
  steps: { type: 'string', value: '<n>', description: 'cap on optimizer steps (schedule.steps)' },
  epochs: { type: 'string', value: '<n>', description: 'schedule.epochs' },
  batch: { type: 'string', value: '<B>', description: 'images per rank per step (batch.perRank)' },
  name: { type: 'string', value: '<name>', description: 'run name' },
};

/** Reads the config flags into {@link CliConfigSources}. */
export function configSources(values: ParsedArguments['values'], cwd: string, overrides?: Record<string, unknown>): CliConfigSources {
  return {
    config: values.config as string | undefined,
    overrides,
    sets: (values.set as string[] | undefined) ?? [],
    flags: {
      output: values.output as string | undefined,
      worldSize: numberOption(values, 'world-size', { integer: true, min: 1 }),
      launcher: values.launcher as string | undefined,
      seed: numberOption(values, 'seed', { integer: true, min: 0 }),
      backend: values.backend as string | undefined,
      precision: values.precision as string | undefined,
      steps: numberOption(values, 'steps', { integer: true, min: 1 }),
      epochs: numberOption(values, 'epochs', { min: 0 }),
      batch: numberOption(values, 'batch', { integer: true, min: 1 }),
      name: values.name as string | undefined,
    },
    cwd,
  };
}
