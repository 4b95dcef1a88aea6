import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@bigface/backend';
import { foldBatchNorm } from './fold-batch-norm';
import { IResNet } from './iresnet';
import { randomImages, tinyModel } from '../test/tiny';
import { relativeError } from '../test/reference';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('foldBatchNorm', () => {
  it('matches the unfolded eval forward within 1e-4 relative (random BN statistics everywhere)', () => {
    const model = tinyModel(6);
    const folded = foldBatchNorm(model);
    const images = randomImages(3, 16, 13);
    const before = tf.memory().numTensors;
    const [expected, actual] = [model.forward(images), folded.forward(images)];
    expect(actual.shape).toEqual(expected.shape);
    expect(relativeError(actual.dataSync(), expected.dataSync())).toBeLessThan(1e-4);
    tf.dispose([expected, actual]);
    expect(tf.memory().numTensors).toBe(before);
    // Nothing but per-channel affines of the pre-conv BNs remain: no running statistics.
    expect([...folded.tensors.keys()].some((k) => k.includes('running'))).toBe(false);
    expect(folded.tensors.has('layer1.0.bn1.scale')).toBe(true);
    expect(folded.tensors.has('bn2.weight')).toBe(false);
    images.dispose();
    folded.dispose();
    model.dispose();
  });

  it('handles a non-square input whose final feature map is larger than 1x1', () => {
    const model = tinyModel(7, { layers: [1, 1, 1, 1], widthMultiplier: 0.125, inputSize: [40, 24], embeddingSize: 8 });
    expect([model.config.finalHeight, model.config.finalWidth]).toEqual([3, 2]);
    const folded = foldBatchNorm(model);
    const images = tf.randomNormal([2, 40, 24, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const [expected, actual] = [model.forward(images), folded.forward(images)];
    expect(relativeError(actual.dataSync(), expected.dataSync())).toBeLessThan(1e-4);
    tf.dispose([expected, actual, images]);
    folded.dispose();
    model.dispose();
  });

  it('leaves the source model untouched', () => {
    const model = IResNet.create({ layers: [1, 1, 1, 1], widthMultiplier: 0.125, inputSize: 16, embeddingSize: 8 }, { seed: 2 });
    const weight = model.variables.get('conv1.weight')!.dataSync().slice();
    foldBatchNorm(model).dispose();
    expect(model.variables.get('conv1.weight')!.dataSync()).toEqual(weight);
    model.dispose();
  });
});
