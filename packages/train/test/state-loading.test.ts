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
    await expect(optimizer.setWeights([iter(), ...all.slice(1)])).rejects.toMatchObject({
      code: 'STATE_MISMATCH',
      message: expect.stringContaining(`no momentum for 1 variable(s) (${all[0]!.name})`),
    });
    await expect(optimizer.setWeights([iter(), ...all, stray])).rejects.toMatchObject({
      code: 'STATE_MISMATCH',
      message: expect.stringContaining('1 state(s) of no variable of the groups (other-model/fc.weight/momentum)'),
    });
    await optimizer.setWeights([iter(), ...all]);
    await optimizer.setWeights([iter()]);
    tf.dispose([...all.map((entry) => entry.tensor), stray.tensor]);
    optimizer.dispose();
    backbone.dispose();
  });
});

describe('gradient exchange', () => {
  it("sends replicated gradients as bfloat16 with gradientExchange 'bf16' (half the bytes) and float32 otherwise", async () => {
    const backbone = IResNet.create({ layers: [1, 1, 1, 1], widthMultiplier: 0.125, embeddingSize: 8, inputSize: 32 });
    const variables = backbone.trainableVariables();
    // Two ranks that contribute the same gradient: a Communicator that records what crosses and doubles it.
    const sent: { type: string; bytes: number }[] = [];
    const twoRanks = {
      ...new SingleCommunicator(),
      rank: 0,
      worldSize: 2,
      allReduce<T extends Float32Array | Uint16Array>(data: T): T {
        sent.push({ type: data.constructor.name, bytes: data.byteLength });
        if (data instanceof Float32Array) return data.map((v) => v + v) as T;
        const doubled = new Uint16Array(data.length);
        const view = new DataView(new ArrayBuffer(4));
        data.forEach((bits, i) => {
          view.setUint32(0, bits << 16);
          view.setFloat32(0, view.getFloat32(0) * 2); // ×2 is exact in bfloat16
          doubled[i] = view.getUint32(0) >>> 16;
        });
        return doubled as T;
      },
    } as unknown as InstanceType<typeof SingleCommunicator>;
    const results: Record<string, Float32Array> = {};
    for (const exchange of ['fp32', 'bf16'] as const) {
      const optimizer = createTrainingOptimizer({
        groups: [backbone.parameterGroup()],
        communicator: twoRanks,
        lars: { momentum: 0, weightDecay: 0 },
        gradientExchange: exchange,
      });
      // Varied values: LARS's trust ratio cancels any common scale, not the per-element rounding.
      const gradients = variables.map((variable, i) => tf.randomNormal(variable.shape, 0, 1, 'float32', 10 + i));
      const before = variables.map((variable) => variable.clone());
      optimizer.step(gradients, 0.5);
      // What moved: the first variable's update, per exchange.
      results[exchange] = tf.tidy(() => tf.sub(before[0]!, variables[0]!).dataSync() as Float32Array);
      // Put the weights back for the other run.
      variables.forEach((variable, i) => {
        variable.assign(before[i]!);
      });
      tf.dispose([...gradients, ...before]);
      optimizer.dispose();
    }
    const parameters = variables.reduce((n, variable) => n + variable.size, 0);
    expect(sent).toEqual([
      { type: 'Float32Array', bytes: 4 * parameters },
      { type: 'Uint16Array', bytes: 2 * parameters },
    ]);
    // Normal values are not bfloat16s: the bf16 exchange rounds them, the fp32 one does not.
    expect(results.bf16![0]).not.toBe(results.fp32![0]);
    expect(Math.abs(results.bf16![0]! - results.fp32![0]!) / Math.abs(results.fp32![0]!)).toBeLessThan(2 ** -8);
    backbone.dispose();
  });
});
