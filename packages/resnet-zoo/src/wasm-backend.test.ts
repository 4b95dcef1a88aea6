import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@bigface/backend';
import { foldBatchNorm } from './fold-batch-norm';
import { IResNet } from './iresnet';
import { importOnnx } from './import-onnx';
import { quarterInputNhwc, quarterOnnx, quarterReference, relativeError } from '../test/reference';
import { TINY, randomImages, tinyModel } from '../test/tiny';

// The same model code on the wasm backend, the default where tfjs-node is not installed.
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('on the wasm backend', () => {
  it('the imported PyTorch ONNX reproduces the reference output within 1e-4 relative', () => {
    const reference = quarterReference();
    const model = importOnnx(quarterOnnx());
    const input = quarterInputNhwc(reference);
    const output = model.forward(input);
    expect(relativeError(output.dataSync(), reference.output)).toBeLessThan(1e-4);
    tf.dispose([input, output]);
    model.dispose();
  });

  it('folded and unfolded eval agree within 1e-4 relative', () => {
    const model = tinyModel(9);
    const folded = foldBatchNorm(model);
    const images = randomImages(2, 16, 30);
    const [a, b] = [model.forward(images), folded.forward(images)];
    expect(relativeError(b.dataSync(), a.dataSync())).toBeLessThan(1e-4);
    tf.dispose([a, b, images]);
    folded.dispose();
    model.dispose();
  });

  it('a checkpointed training step gives the plain gradients', () => {
    const model = IResNet.create(TINY, { seed: 3 });
    const images = randomImages(3, 16, 31);
    const gradients = (checkpointing: 'none' | 'block') => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(images, { training: true, checkpointing }))), model.trainableVariables());
      const out = model.trainableVariables().map((v) => grads[v.name]!.dataSync().slice());
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const plain = gradients('none');
    const checkpointed = gradients('block');
    plain.forEach((g, i) => {
      expect(relativeError(checkpointed[i]!, g)).toBeLessThan(1e-6);
    });
    images.dispose();
    model.dispose();
  });
});
