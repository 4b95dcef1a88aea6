import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@bigface/backend';
import { IResNet } from './iresnet';
import { describeQuarter, quarterInputNhwc, quarterOptions, quarterReference, quarterStateDict, relativeError } from '../test/reference';
import { foldBatchNorm } from './fold-batch-norm';

describe(`IResNet against the PyTorch reference (insightface IResNet, ${describeQuarter(quarterReference())})`, () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('loads the PyTorch state_dict and reproduces the eval-mode output within 1e-4 relative', () => {
    const reference = quarterReference();
    const model = IResNet.create(quarterOptions(reference));
    expect(model.config.widths).toEqual(reference.widths);
    model.loadStateDict(quarterStateDict());
    const before = tf.memory().numTensors;
    const input = quarterInputNhwc(reference);
    const output = model.forward(input);
    expect(output.shape).toEqual([reference.input_shape[0], reference.embedding_size]);
    const error = relativeError(output.dataSync(), reference.output);
    expect(error).toBeLessThan(1e-4);
    // The BN-folded model reproduces it too.
    const folded = foldBatchNorm(model);
    const foldedOutput = folded.forward(input);
    expect(relativeError(foldedOutput.dataSync(), reference.output)).toBeLessThan(1e-4);
    folded.dispose();
    tf.dispose([input, output, foldedOutput]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
