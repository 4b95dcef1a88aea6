import { describe, expect, it } from 'vitest';
import { BACKBONES } from '@bigface/resnet-zoo';
import { BACKBONE_NAMES, resolveTrainConfig, trainConfigSchema } from './config';

function problems(input: unknown): string[] {
  try {
    resolveTrainConfig(input);
  } catch (error) {
    expect((error as { code: string }).code).toBe('CONFIG_INVALID');
    return (error as Error).message
      .split('\n')
      .slice(1)
      .map((line) => line.trim());
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('resolveTrainConfig', () => {
  it("accepts every name of resnet-zoo's registry as model.name and lists them for another", () => {
    for (const name of Object.keys(BACKBONES)) expect(resolveTrainConfig({ data: { source: 'synth' }, model: { name } }).model.name).toBe(name);
    expect(BACKBONE_NAMES).toEqual(Object.keys(BACKBONES));
    expect(problems({ data: { source: 'synth' }, model: { name: 'r55' } })).toEqual([
      `model.name: got 'r55'; expected one of ${Object.keys(BACKBONES)
        .map((name) => `'${name}'`)
        .join(', ')}`,
    ]);
  });

  it('fills the BigFace defaults', () => {
    const config = resolveTrainConfig({ data: { source: 'synth' } });
    expect(config.loss).toEqual({ margin: 'cosface', m: 0.4, s: 64, sampleRate: 1 });
    expect(config.optimizer).toMatchObject({ lr: 0.01, referenceBatch: 256, weightDecay: 5e-4 });
    expect(config.data.mask.ratio).toBe(0.35);
    expect(config.batch).toEqual({ perRank: 256, microBatches: 1 });
    expect(config.distributed).toEqual({ worldSize: 1, communicator: 'threads', launcher: 'auto', zero: 0 });
    expect(config.schedule.epochs).toBe(30);
    expect(config.distill).toBeUndefined();
    expect(trainConfigSchema.parse({ data: { source: 'recordio', path: 'a.rec' } }).data).toMatchObject({ source: 'recordio', path: 'a.rec', imageSize: 112 });
  });

  it('lists every problem with key path, value and what is allowed', () => {
    const lines = problems({
      data: { source: 'synth', identites: 3, imageSize: 8 },
      model: { name: 'r55' },
      loss: { margin: 'cos', s: -1 },
      optimzer: {},
    });
    expect(lines).toContain('data.imageSize: got 8; expected a number >= 16');
    expect(lines.find((l) => l.startsWith('data.identites'))).toMatch(/unknown key \(did you mean 'identities'\?\)/);
    expect(lines.find((l) => l.startsWith('model.name'))).toBe(
      "model.name: got 'r55'; expected one of 'r18', 'r34', 'r50', 'r100', 'r120', 'r140', 'r200', 'r240', 'r600', 'r1.2k', 'r2060'",
    );
    expect(lines).toContain("loss.margin: got 'cos'; expected one of 'cosface', 'arcface', 'combined'");
    expect(lines).toContain('loss.s: got -1; expected a number > 0');
    expect(lines.find((l) => l.startsWith('optimzer'))).toMatch(/did you mean 'optimizer'/);
    expect(lines).toHaveLength(6);
  });

  it('checks the data source and the cross-field rules', () => {
    expect(problems({ data: { source: 'zip' } })).toEqual(["data.source: got 'zip'; expected one of 'synth', 'recordio', 'folder'"]);
    expect(problems({ data: { source: 'recordio' } })).toEqual(['data.path: got nothing; expected a string']);
    const lines = problems({
      data: { source: 'synth' },
      batch: { perRank: 10, microBatches: 3 },
      distill: { teacher: {} },
    });
    expect(lines).toEqual([
      'batch.microBatches: got 3; expected a divisor of batch.perRank (10)',
      'distill.teacher: got {}; expected exactly one of { checkpoint } (a live frozen teacher) or { cache } (a TeacherEmbeddingCache)',
    ]);
  });

  it('accepts the MPI communicator and ZeRO stage 1, and nothing else there', () => {
    const config = resolveTrainConfig({ data: { source: 'synth' }, distributed: { communicator: 'mpi', zero: 1 } });
    expect(config.distributed).toEqual({ worldSize: 1, communicator: 'mpi', launcher: 'auto', zero: 1 });
    expect(problems({ data: { source: 'synth' }, distributed: { communicator: 'nccl', zero: 2 } })).toEqual([
      "distributed.communicator: got 'nccl'; expected one of 'threads', 'mpi'",
      expect.stringMatching(/^distributed\.zero: got 2; expected /),
    ]);
  });

  it('accepts a distillation section with the deck lambda', () => {
    const config = resolveTrainConfig({ data: { source: 'synth' }, distill: { teacher: { checkpoint: 'runs/teacher' } } });
    expect(config.distill).toEqual({ teacher: { checkpoint: 'runs/teacher' }, lambda: 9, unlabeledRatio: 0 });
  });
});
