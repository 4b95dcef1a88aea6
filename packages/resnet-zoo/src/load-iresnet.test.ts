import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadSafetensors, tf } from '@bigface/backend';
import { loadIResNet } from './load-iresnet';
import { saveIResNet } from './save-iresnet';
import { QUARTER_WEIGHTS, quarterInputNhwc, quarterReference, quarterStateDict, referenceFile, relativeError } from '../test/reference';
import { randomImages, tinyModel } from '../test/tiny';

const directory = mkdtempSync(join(tmpdir(), 'resnet-zoo-'));

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('loadIResNet / saveIResNet', () => {
  it('loads the insightface reference checkpoint (architecture read off the tensors) and reproduces its output', () => {
    const reference = quarterReference();
    const model = loadIResNet(referenceFile(QUARTER_WEIGHTS));
    // insightface's stem has the width of the first stage.
    const [, , inputHeight, inputWidth] = reference.input_shape;
    expect(model.config).toMatchObject({
      layers: reference.layers,
      stemWidth: reference.widths[0],
      widths: reference.widths,
      embeddingSize: reference.embedding_size,
      inputHeight,
      inputWidth,
    });
    const input = quarterInputNhwc(reference);
    const output = model.forward(input);
    expect(relativeError(output.dataSync(), reference.output)).toBeLessThan(1e-4);
    tf.dispose([input, output]);
    model.dispose();
  });

  it('saves with PyTorch names and layouts, and loads back the same model', () => {
    const model = tinyModel(11, { layers: [2, 1, 1, 1], widthMultiplier: 0.125, inputSize: [24, 16], embeddingSize: 8 });
    const path = join(directory, 'tiny.safetensors');
    saveIResNet(model, path, { step: '7' });
    const file = loadSafetensors(path);
    expect(file.metadata.step).toBe('7');
    expect(file.tensors.get('conv1.weight')).toMatchObject({ dtype: 'F32', shape: [8, 3, 3, 3] });
    expect(file.tensors.get('fc.weight')!.shape).toEqual([8, 64 * 2 * 1]);
    expect([...file.tensors.keys()]).toEqual([...model.variables.keys()]);
    const again = loadIResNet(path);
    expect(again.config.inputHeight).toBe(24);
    const images = randomImages(2, 16, 40);
    const wide = tf.concat([images, tf.zeros([2, 8, 16, 3])], 1) as tf.Tensor4D;
    const [a, b] = [model.forward(wide), again.forward(wide)];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b, images, wide]);
    again.dispose();
    model.dispose();
  });

  it('writes the same bytes PyTorch layout holds for the reference weights', () => {
    const model = loadIResNet(referenceFile(QUARTER_WEIGHTS));
    const path = join(directory, 'reference-copy.safetensors');
    saveIResNet(model, path);
    const original = quarterStateDict();
    const copy = loadSafetensors(path).tensors;
    for (const [name, tensor] of original) expect(Array.from(copy.get(name)!.data as Float32Array), name).toEqual(Array.from(tensor.data));
    model.dispose();
  });
});
