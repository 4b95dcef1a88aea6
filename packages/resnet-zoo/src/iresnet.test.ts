import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, isBigFaceError, tf } from '@bigface/backend';
import { IResNet } from './iresnet';
import { countParameters } from './count-parameters';
import { iresnetStateDictSpec } from './state-dict-spec';
import { TINY, randomImages, tinyModel } from '../test/tiny';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** A fixed random projection of the output to a scalar loss. */
function projectionLoss(output: tf.Tensor, seed = 5): tf.Scalar {
  const rng = new Rng(seed);
  const weights = tf.tensor(rng.fillNormal(new Float32Array(output.size)), output.shape);
  const loss = tf.sum(tf.mul(output, weights)) as tf.Scalar;
  weights.dispose();
  return loss;
}

describe('IResNet structure', () => {
  it('has the PyTorch state_dict names in order, and the analytic count equals the built model', () => {
    const model = IResNet.create(TINY, { seed: 1 });
    expect([...model.variables.keys()]).toEqual(iresnetStateDictSpec(TINY).map((e) => e.name));
    expect([...model.variables.keys()].slice(0, 3)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias']);
    expect(model.variables.has('layer1.1.bn1.running_mean')).toBe(true);
    expect(model.variables.has('layer1.1.downsample.0.weight')).toBe(false);
    expect(model.variables.get('features.weight')!.trainable).toBe(false);
    // Counted from the allocated variables vs. from the spec arithmetic.
    expect(model.parameterCount()).toBe(countParameters(TINY));
    // features.weight and the 4 * (#BN) running stats are excluded from training.
    expect(model.trainableVariables().length).toBe(iresnetStateDictSpec(TINY).filter((e) => e.kind === 'parameter').length - 1);
    model.dispose();
  });

  it('creating and disposing a model leaves no tensor and no byte behind', () => {
    const before = tf.memory();
    const model = IResNet.create(TINY, { seed: 3 });
    expect(tf.memory().numTensors - before.numTensors).toBe(model.variables.size);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('rejects unknown backbones listing the valid names, and wrong input shapes', () => {
    try {
      IResNet.create('r55');
      expect.unreachable();
    } catch (error) {
      expect(isBigFaceError(error, 'UNKNOWN_BACKBONE')).toBe(true);
      expect((error as Error).message).toMatch(/unknown backbone 'r55': choose one of r18, r34, r50, r100, r120, r140, r200, r240, r600, r1\.2k, r2060/);
    }
    const model = IResNet.create(TINY);
    const wrong = tf.zeros([1, 112, 112, 3]) as tf.Tensor4D;
    expect(() => model.forward(wrong)).toThrow(/input must be \[batch, 16, 16, 3\]/);
    wrong.dispose();
    model.dispose();
  });
});

describe('IResNet forward', () => {
  it('eval mode is deterministic, leaves running stats alone and leaks nothing', () => {
    const model = tinyModel();
    const images = randomImages(3, 16, 7);
    const statsBefore = model.variables.get('layer2.0.bn2.running_var')!.dataSync().slice();
    const before = tf.memory().numTensors;
    const a = model.forward(images);
    const b = model.forward(images);
    expect(a.shape).toEqual([3, 16]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
    expect(model.variables.get('layer2.0.bn2.running_var')!.dataSync()).toEqual(statsBefore);
    images.dispose();
    model.dispose();
  });

  it('training mode normalises with batch statistics and updates running stats like PyTorch (momentum 0.1, unbiased var)', () => {
    const model = tinyModel();
    const images = randomImages(4, 16, 8);
    const oldMean = model.variables.get('bn1.running_mean')!.dataSync().slice();
    const oldVariance = model.variables.get('bn1.running_var')!.dataSync().slice();
    // The stem BN sees conv1(x); compute its per-channel batch mean and unbiased variance by hand.
    const convOut = tf.conv2d(images, model.variables.get('conv1.weight') as unknown as tf.Tensor4D, 1, 1);
    const values = convOut.dataSync();
    const channels = convOut.shape[3];
    const n = values.length / channels;
    const before = tf.memory().numTensors;
    const output = model.forward(images, { training: true });
    // BN1d at the end, training mode, weight 1: each output column has mean = bias, biased variance ~ 1.
    const columns = output.arraySync();
    const bias = model.variables.get('features.bias')!.dataSync();
    for (let o = 0; o < 16; o++) {
      const column = columns.map((row) => row[o]!);
      const mean = column.reduce((s, v) => s + v, 0) / column.length;
      const variance = column.reduce((s, v) => s + (v - mean) ** 2, 0) / column.length;
      expect(mean).toBeCloseTo(bias[o]!, 4);
      expect(variance).toBeGreaterThan(0.99);
      expect(variance).toBeLessThan(1.0001);
    }
    output.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const newMean = model.variables.get('bn1.running_mean')!.dataSync();
    const newVariance = model.variables.get('bn1.running_var')!.dataSync();
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += values[i * channels + c]!;
      const mean = sum / n;
      let squares = 0;
      for (let i = 0; i < n; i++) squares += (values[i * channels + c]! - mean) ** 2;
      expect(newMean[c]).toBeCloseTo(0.9 * oldMean[c]! + 0.1 * mean, 5);
      expect(newVariance[c]).toBeCloseTo(0.9 * oldVariance[c]! + 0.1 * (squares / (n - 1)), 4);
    }
    tf.dispose([convOut, images]);
    model.dispose();
  });

  it('dropout is seeded and only active in training', () => {
    const model = IResNet.create({ ...TINY, dropout: 0.5 }, { seed: 3 });
    const images = randomImages(4, 16, 9);
    const [a, b, c] = [
      model.forward(images, { training: true, seed: 1 }),
      model.forward(images, { training: true, seed: 1 }),
      model.forward(images, { training: true, seed: 2 }),
    ];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    tf.dispose([a, b, c, images]);
    model.dispose();
  });

  it('training-mode gradients agree with central finite differences', () => {
    const model = tinyModel(2);
    const images = randomImages(3, 16, 10);
    const loss = (): tf.Scalar => projectionLoss(model.forward(images, { training: true }));
    // fc.bias gets a zero gradient in training mode: the features BN1d subtracts the batch mean.
    const targets = ['layer1.0.bn2.weight', 'layer3.0.conv2.weight', 'prelu.weight', 'fc.bias'];
    const { grads, value } = tf.variableGrads(
      loss,
      targets.map((t) => model.variables.get(t)!),
    );
    value.dispose();
    for (const name of targets) {
      const variable = model.variables.get(name)!;
      const original = variable.dataSync().slice();
      const analytic = grads[variable.name]!.dataSync()[1]!;
      const h = 1e-3;
      const at = (delta: number): number => {
        const data = original.slice();
        data[1] = data[1]! + delta;
        tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
        return tf.tidy(() => loss().dataSync()[0]!);
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      tf.tidy(() => variable.assign(tf.tensor(original, variable.shape)));
      expect(Math.abs(analytic - numeric)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
    }
    tf.dispose(Object.values(grads));
    images.dispose();
    model.dispose();
  });

  it.each(['stage', 'block'] as const)('checkpointing per %s gives the same gradients and the same running stats', (mode) => {
    const images = randomImages(3, 16, 11);
    const run = (checkpointing: 'none' | 'stage' | 'block') => {
      const model = tinyModel(4);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => projectionLoss(model.forward(images, { training: true, checkpointing })), model.trainableVariables());
      const result = {
        loss: value.dataSync()[0]!,
        grads: model.trainableVariables().map((v) => Array.from(grads[v.name]!.dataSync())),
        stats: Array.from(model.variables.get('layer1.1.bn3.running_var')!.dataSync()),
      };
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
      return result;
    };
    const plain = run('none');
    const checkpointed = run(mode);
    expect(checkpointed.loss).toBe(plain.loss);
    expect(checkpointed.stats).toEqual(plain.stats);
    expect(checkpointed.grads.length).toBe(plain.grads.length);
    checkpointed.grads.forEach((g, i) => {
      for (let j = 0; j < g.length; j++) expect(Math.abs(g[j]! - plain.grads[i]![j]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(plain.grads[i]![j]!)));
    });
    images.dispose();
  });

  it('round-trips through the PyTorch-layout state dict', () => {
    const source = tinyModel(5);
    const target = IResNet.create(TINY, { seed: 99 });
    const record = source.toStateDict();
    expect(record.get('conv1.weight')!.shape).toEqual([8, 3, 3, 3]);
    expect(record.get('fc.weight')!.shape).toEqual([16, 64]);
    target.loadStateDict(record);
    const images = randomImages(2, 16, 12);
    const [a, b] = [source.forward(images), target.forward(images)];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    record.delete('fc.bias');
    expect(() => target.loadStateDict(record)).toThrow(/missing 1 tensor\(s\): fc.bias/);
    tf.dispose([a, b, images]);
    source.dispose();
    target.dispose();
  });
});
