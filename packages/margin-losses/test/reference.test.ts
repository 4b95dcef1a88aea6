// Agreement with insightface's CombinedMarginLoss in PyTorch 1.13 (test-support/reference/margin-losses.json):
// cos = normalize(e)·normalize(W)ᵀ clamped to [−1, 1], margin on the target logit, times s; loss =
// mean cross-entropy over labelled rows; gradients w.r.t. the raw embeddings and centres.
import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { arcFace, combinedMargin, cosFace, maskedSoftmaxCrossEntropy, normalizedCosine, type MarginFunction } from '../src/index';
import { marginReference, relativeError, type MarginReferenceCase } from './helpers';

const reference = marginReference();

function marginFor(testCase: MarginReferenceCase): MarginFunction[] {
  const { s, m1, m2, m3 } = testCase;
  const named = testCase.name === 'cosface' ? cosFace({ s, m: m3 }) : arcFace({ s, m: m2 });
  return [named, combinedMargin({ s, m1, m2, m3 })];
}

describe.each(['cpu', 'wasm'] as const)('margin losses against the PyTorch reference on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });

  it.each(reference.cases.map((c) => [c.name, c] as const))('%s: logits, loss and gradients within 1e-4', (_, testCase) => {
    const before = tf.memory().numTensors;
    const { B, C, D } = testCase;
    const embeddings = tf.tensor2d(testCase.embeddings, [B, D]);
    const weights = tf.tensor2d(testCase.weights, [C, D]);
    const labels = tf.tensor1d(testCase.labels, 'int32');
    for (const margin of marginFor(testCase)) {
      const logits = tf.tidy(() => margin(normalizedCosine(embeddings, weights), labels).dataSync());
      const [gradEmbeddings, gradWeights] = tf.grads((e: tf.Tensor, w: tf.Tensor) =>
        maskedSoftmaxCrossEntropy(margin(normalizedCosine(e as tf.Tensor2D, w as tf.Tensor2D), labels), labels),
      )([embeddings, weights]);
      const loss = tf.tidy(() => maskedSoftmaxCrossEntropy(margin(normalizedCosine(embeddings, weights), labels), labels).dataSync()[0]!);
      const errors = {
        logits: relativeError(logits, testCase.logits),
        loss: Math.abs(loss - testCase.loss) / Math.abs(testCase.loss),
        gradEmbeddings: relativeError(gradEmbeddings!.dataSync(), testCase.grad_embeddings),
        gradWeights: relativeError(gradWeights!.dataSync(), testCase.grad_weights),
      };
      if (process.env.BIGFACE_REPORT_ERRORS) console.log(backend, testCase.name, JSON.stringify(errors));
      expect(relativeError(logits, testCase.logits)).toBeLessThan(1e-4);
      expect(Math.abs(loss - testCase.loss) / Math.abs(testCase.loss)).toBeLessThan(1e-4);
      expect(relativeError(gradEmbeddings!.dataSync(), testCase.grad_embeddings)).toBeLessThan(1e-4);
      expect(relativeError(gradWeights!.dataSync(), testCase.grad_weights)).toBeLessThan(1e-4);
      tf.dispose([gradEmbeddings!, gradWeights!]);
    }
    tf.dispose([embeddings, weights, labels]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
