import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESETS, WEBFACE42M } from './presets';
import { resolveCliConfig } from './resolve-cli-config';

const cwd = mkdtempSync(path.join(tmpdir(), 'bigface-cli-config-'));

describe('presets', () => {
  it.each(Object.keys(PRESETS))('%s resolves through the train schema', (name) => {
    const { config } = resolveCliConfig({ config: name, cwd });
    expect(config.name).toBe(name);
    expect(path.isAbsolute(config.outputDir)).toBe(true);
    expect(config.loss).toMatchObject({ margin: 'cosface', m: 0.4, s: 64, sampleRate: 1 });
    expect(config.data.mask.ratio).toBe(0.35);
  });

  it('carries every number of the deck', () => {
    const student = resolveCliConfig({ config: 'webface42m-r240-cosface', cwd }).config;
    expect(student.model.name).toBe('r240');
    expect(student.optimizer).toMatchObject({ lr: 0.01, referenceBatch: 256, weightDecay: 5e-4, momentum: 0.9 });
    expect(student.schedule).toMatchObject({ epochs: 30, warmupEpochs: 3, milestones: [12, 19, 26], gamma: 0.1 });
    expect(student.batch.perRank).toBe(256);
    expect(WEBFACE42M.classes).toBe(2_059_906);
    const teacher = resolveCliConfig({ config: 'webface42m-r600-teacher', cwd }).config;
    expect(teacher.model.name).toBe('r600');
    expect(teacher.schedule.epochs).toBe(30);
    const distilled = resolveCliConfig({ config: 'webface42m-r240-distill', cwd }).config;
    expect(distilled.model.name).toBe('r240');
    expect(distilled.distill?.lambda).toBe(9);
    expect(distilled.distill?.teacher.model?.name).toBe('r600');
  });
});

describe('resolveCliConfig', () => {
  it('merges file < extends chain, then --set, then flags', () => {
    writeFileSync(path.join(cwd, 'base.yaml'), 'extends: synth-tiny-cosface\nloss:\n  m: 0.3\nseed: 5\n');
    writeFileSync(path.join(cwd, 'run.json'), JSON.stringify({ extends: './base.yaml', optimizer: { lr: 0.5 } }));
    const { config } = resolveCliConfig({
      config: 'run.json',
      sets: ['loss.s=32', 'model.layers=[1,2,1,1]', 'data.flip=false'],
      flags: { seed: 9, output: 'out/here', worldSize: 1 },
      cwd,
    });
    expect(config.loss).toMatchObject({ m: 0.3, s: 32 });
    expect(config.optimizer.lr).toBe(0.5);
    expect(config.model.layers).toEqual([1, 2, 1, 1]);
    expect(config.data.flip).toBe(false);
    expect(config.seed).toBe(9);
    expect(config.distributed.worldSize).toBe(1);
    expect(config.outputDir).toBe(path.join(cwd, 'out/here'));
  });

  it('names a bad key with a close match and the allowed keys', () => {
    expect(() => resolveCliConfig({ config: 'synth-tiny-cosface', sets: ['loss.margn=arcface'], cwd })).toThrow(
      /loss\.margn: got an unknown key \(did you mean 'margin'\?\); expected one of margin, m/,
    );
  });

  it('names a bad value and the allowed values', () => {
    expect(() => resolveCliConfig({ config: 'synth-tiny-cosface', sets: ['loss.margin=sphereface'], cwd })).toThrow(
      /loss\.margin: got 'sphereface'; expected one of 'cosface', 'arcface', 'combined'/,
    );
    expect(() => resolveCliConfig({ config: 'synth-tiny-cosface', flags: { batch: 30 }, sets: ['batch.microBatches=4'], cwd })).toThrow(
      /batch\.microBatches: got 4; expected a divisor of batch\.perRank \(30\)/,
    );
  });

  it('rejects an unknown preset with the list and a close match', () => {
    expect(() => resolveCliConfig({ config: 'webface42m-r240-cosfce', cwd })).toThrow(
      /unknown preset 'webface42m-r240-cosfce' \(did you mean 'webface42m-r240-cosface'\?\): choose one of webface42m-r240-cosface, /,
    );
    writeFileSync(path.join(cwd, 'bad-extends.yaml'), 'extends: nope\n');
    expect(() => resolveCliConfig({ config: 'bad-extends.yaml', cwd })).toThrow(expect.objectContaining({ code: 'PRESET_UNKNOWN' }));
  });

  it('detects extends cycles and malformed files', () => {
    writeFileSync(path.join(cwd, 'a.yaml'), 'extends: b.yaml\n');
    writeFileSync(path.join(cwd, 'b.yaml'), 'extends: a.yaml\n');
    expect(() => resolveCliConfig({ config: 'a.yaml', cwd })).toThrow(expect.objectContaining({ code: 'CONFIG_EXTENDS_CYCLE' }));
    writeFileSync(path.join(cwd, 'broken.yaml'), 'loss: [1, 2\n');
    expect(() => resolveCliConfig({ config: 'broken.yaml', cwd })).toThrow(expect.objectContaining({ code: 'CONFIG_FILE_INVALID' }));
  });
});
