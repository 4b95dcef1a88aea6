// State that loads must load, or fail: a checkpoint or an optimizer state with a missing or stray
// momentum is refused with the names, never silently restarted from zero.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend, loadSafetensors, saveSafetensors, SingleCommunicator, tf } from '@bigface/backend';
import { IResNet } from '@bigface/resnet-zoo';
import { createTrainingOptimizer, train } from '@bigface/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyConfig } from './support';

const root = mkdtempSync(path.join(tmpdir(), 'bigface-train-state-'));
const tiny = tinyConfig(root, path.join(root, 'cache'));
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loading state', () => {
  it('refuses to resume a checkpoint whose optimizer file lacks a momentum, naming it', async () => {
    const first = await train(tiny('missing', { schedule: { steps: 2, epochs: 2, warmupEpochs: 0, milestones: [1] } }));
    const file = path.join(first.finalCheckpoint, 'optimizer.safetensors');
    const saved = loadSafetensors(file);
    const dropped = [...saved.tensors.keys()].find((name) => name.startsWith('layer2.0.conv1'))!;
    saved.tensors.delete(dropped);
    saveSafetensors(file, saved.tensors, saved.metadata);
    await expect(train(tiny('missing', { schedule: { steps: 3, epochs: 2, warmupEpochs: 0, milestones: [1] } }))).rejects.toMatchObject({
      code: 'CHECKPOINT_INCOMPLETE',
      message: expect.stringContaining(`lacks the LARS momentum of 1 parameter(s): ${dropped}`),
    });
  });

  it('refuses a stray or a partial set of momenta in the training optimizer, names them, and accepts all or none', async () => {
    const backbone = IResNet.create({ layers: [1, 1, 1, 1], widthMultiplier: 0.125, embeddingSize: 8, inputSize: 32 });
    const optimizer = createTrainingOptimizer({ groups: [backbone.parameterGroup()], communicator: new SingleCommunicator(), lars: {} });
    const variables = backbone.trainableVariables();
    const iter = () => ({ name: 'iter', tensor: tf.scalar(1, 'int32') });
    const all = variables.map((variable) => ({ name: `${variable.name}/momentum`, tensor: tf.zerosLike(variable) }));
    const stray = { name: 'other-model/fc.weight/momentum', tensor: tf.zeros([2]) };
    await expect(optimizer.setWeights([iter(), ...all.slice(1)])).rejects.toMatchObject({ code: 'STATE_MISMATCH', message: expect.stringContaining(`no momentum for 1 variable(s) (${all[0]!.name})`) });
    await expect(optimizer.setWeights([iter(), ...all, stray])).rejects.toMatchObject({ code: 'STATE_MISMATCH', message: expect.stringContaining('1 state(s) of no variable of the groups (other-model/fc.weight/momentum)') });
    await optimizer.setWeights([iter(), ...all]);
    await optimizer.setWeights([iter()]);
    tf.dispose([...all.map((entry) => entry.tensor), stray.tensor]);
    optimizer.dispose();
    backbone.dispose();
  });
});
