import { BigFaceError } from '@bigface/backend/errors';
import type { CommandDefinition } from '../command';
import { resolveCliConfig } from '../config/resolve-cli-config';
import { numberOption } from '../parse-command-arguments';
import { CONFIG_OPTIONS, configSources } from './train-options';
import { printConfig, resumeOption, runTraining } from './run-training';

export const distillCommand: CommandDefinition = {
  name: 'distill',
  summary: 'Train a student with CosFace + λ·||s/|s| − t/|t|||² from a frozen teacher checkpoint or a teacher-embedding cache.',
  usage: 'bigface distill --config <preset|file> (--teacher <run|checkpoint> | --teacher-cache <dir>) [--lambda 9] [options]',
  options: {
    ...CONFIG_OPTIONS,
    teacher: { type: 'string', value: '<path>', description: 'teacher: a run directory, checkpoint directory or backbone .safetensors' },
    'teacher-cache': { type: 'string', value: '<path>', description: 'a TeacherEmbeddingCache instead of a live teacher' },
    lambda: { type: 'string', value: '<λ>', description: 'weight of the distillation term (deck: 9)' },
    'print-config': { type: 'boolean', description: 'print the resolved config and exit' },
    resume: { type: 'boolean', description: 'require a checkpoint and continue from it' },
    fresh: { type: 'boolean', description: 'start from scratch' },
  },
  details: 'The config may already hold a distill section (e.g. preset webface42m-r240-distill); --teacher/--teacher-cache/--lambda override it.',
  examples: [
    'bigface distill --config synth-tiny-cosface --teacher runs/synth-tiny-teacher --output runs/tiny-distilled',
    'bigface distill --config webface42m-r240-distill --set data.path=/data/WebFace42M/train.rec',
  ],
  async run(context) {
    const { values, io, reporter } = context;
    if (values.teacher && values['teacher-cache']) throw new BigFaceError('USAGE_ERROR', 'give --teacher or --teacher-cache, not both');
    const teacher = values.teacher
      ? { checkpoint: values.teacher, cache: null }
      : values['teacher-cache']
        ? { cache: values['teacher-cache'], checkpoint: null }
        : undefined;
    const lambda = numberOption(values, 'lambda', { min: 0 });
    const overrides: Record<string, unknown> = {};
    if (teacher || lambda !== undefined) overrides.distill = { ...(teacher ? { teacher } : {}), ...(lambda !== undefined ? { lambda } : {}) };
    const { config } = resolveCliConfig(configSources(values, io.cwd, overrides));
    if (!config.distill) {
      throw new BigFaceError(
        'USAGE_ERROR',
        'distill: no teacher: give --teacher <run|checkpoint> or --teacher-cache <dir>, or a config with a distill section',
      );
    }
    if (values['print-config']) {
      printConfig(reporter, config);
      return;
    }
    return (await runTraining(context, config, { resume: resumeOption(values) })).code;
  },
};
