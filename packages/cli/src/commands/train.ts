import type { CommandDefinition } from '../command';
import { PRESETS } from '../config/presets';
import { resolveCliConfig } from '../config/resolve-cli-config';
import { CONFIG_OPTIONS, configSources } from './train-options';
import { printConfig, resumeOption, runTraining } from './run-training';

export const trainCommand: CommandDefinition = {
  name: 'train',
  summary: 'Train a backbone with CosFace + PartialFC + LARS (+ masks) from a preset or config file.',
  usage: 'bigface train --config <preset|file.yaml> [--set key=value ...] [options]',
  options: {
    ...CONFIG_OPTIONS,
    'print-config': { type: 'boolean', description: 'print the resolved config and exit' },
    'list-presets': { type: 'boolean', description: 'list the presets and exit' },
    resume: { type: 'boolean', description: 'require a checkpoint in the run directory and continue from it' },
    fresh: { type: 'boolean', description: 'start from scratch (refuses a run directory holding checkpoints)' },
  },
  details: `Precedence: the config file (and what it extends) < --set < first-class flags. Without --resume or
--fresh, a run directory with a checkpoint resumes from it. Ctrl-C stops at the next step, writes a
checkpoint and exits 130; the same command resumes.`,
  examples: [
    'bigface train --config synth-tiny-cosface --output runs/tiny',
    'bigface train --config webface42m-r240-cosface --set data.path=/data/WebFace42M/train.rec --world-size 8 --print-config',
    'bigface train --config my-run.yaml --set loss.m=0.35 --json > events.jsonl',
  ],
  async run(context) {
    const { values, reporter, io } = context;
    if (values['list-presets']) {
      for (const [name, preset] of Object.entries(PRESETS)) {
        if (reporter.json) reporter.event({ type: 'preset', name, description: preset.description, extends: preset.extends ?? null });
        else reporter.line(`${name.padEnd(26)} ${preset.description}`);
      }
      return;
    }
    const { config } = resolveCliConfig(configSources(values, io.cwd));
    if (values['print-config']) {
      printConfig(reporter, config);
      return;
    }
    return (await runTraining(context, config, { resume: resumeOption(values) })).code;
  },
};
