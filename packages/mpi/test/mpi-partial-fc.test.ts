import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module fixture (it runs under mpirun), no declarations
import { BATCH, CLASSES, EMBEDDING, M, S, globalBatch } from './fixtures/partial-fc.mjs';
import { mpiTestMode, runMpi } from './mpirun';

interface ShardReport {
  rank: number;
  loss: number;
  rows: { start: number; count: number };
  shard: { start: number; count: number };
  gradientEmbeddings: number[];
  gradientWeight: number[];
  weight: number[];
}

/**
 * The full classifier written out independently of PartialFC: CosFace logits s·(cos − m·onehot)
 * over all C classes, mean softmax cross-entropy over the labelled rows; gradients by autodiff.
 */
function fullClassifier(embeddings: Float32Array, labels: Int32Array, weight: Float32Array) {
  const labelled: number[] = Array.from(labels, (label) => (label >= 0 ? 1 : 0));
  const onehot = tf.tensor2d(
    Array.from({ length: BATCH * CLASSES }, (_, k) => (labels[Math.floor(k / CLASSES)] === k % CLASSES ? 1 : 0)),
    [BATCH, CLASSES],
  );
  const mask = tf.tensor1d(labelled);
  const loss = (e: tf.Tensor, w: tf.Tensor) => {
    const en = tf.div(e, tf.norm(e, 'euclidean', 1, true));
    const wn = tf.div(w, tf.norm(w, 'euclidean', 1, true));
    const logits = tf.mul(S, tf.sub(tf.matMul(en, wn, false, true), tf.mul(M, onehot)));
    const perRow = tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, onehot), 1));
    return tf.div(
      tf.sum(tf.mul(perRow, mask)),
      labelled.reduce((a, b) => a + b, 0),
    ) as tf.Scalar;
  };
  const e = tf.tensor2d(embeddings, [BATCH, EMBEDDING]);
  const w = tf.tensor2d(weight, [CLASSES, EMBEDDING]);
  const { value, grads } = tf.valueAndGrads(loss)([e, w]);
  const result = { loss: value.dataSync()[0]!, gradientEmbeddings: grads[0]!.dataSync(), gradientWeight: grads[1]!.dataSync() };
  tf.dispose([onehot, mask, e, w, value, ...grads]);
  return result;
}

describe.runIf(mpiTestMode() === 'run')('PartialFC sharded across MPI ranks', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  for (const worldSize of [2, 3]) {
    it(`W = ${worldSize}: loss and gradients equal the full classifier`, async () => {
      const run = await runMpi(worldSize, 'test/fixtures/partial-fc.mjs', [], { timeoutMs: 90_000 });
      expect(run.code, run.output).toBe(0);
      const reports = (run.results as unknown as ShardReport[]).sort((a, b) => a.rank - b.rank);
      expect(reports).toHaveLength(worldSize);
      // Each rank holds a contiguous slice of the classes and of the batch rows.
      const weight = Float32Array.from(reports.flatMap((r) => r.weight));
      expect(weight.length).toBe(CLASSES * EMBEDDING);
      const { embeddings, labels } = globalBatch() as { embeddings: Float32Array; labels: Int32Array };
      const before = tf.memory().numTensors;
      const full = fullClassifier(embeddings, labels, weight);
      expect(tf.memory().numTensors).toBe(before);
      // Loss: identical on every rank, equal to the full classifier's.
      for (const report of reports) expect(report.loss).toBe(reports[0]!.loss);
      expect(Math.abs(reports[0]!.loss - full.loss)).toBeLessThan(1e-5 * Math.max(1, full.loss));
      const gradientEmbeddings = reports.flatMap((r) => r.gradientEmbeddings);
      const gradientWeight = reports.flatMap((r) => r.gradientWeight);
      let worst = 0;
      gradientEmbeddings.forEach((g, i) => {
        worst = Math.max(worst, Math.abs(g - full.gradientEmbeddings[i]!));
      });
      gradientWeight.forEach((g, i) => {
        worst = Math.max(worst, Math.abs(g - full.gradientWeight[i]!));
      });
      expect(gradientEmbeddings.length).toBe(BATCH * EMBEDDING);
      expect(gradientWeight.length).toBe(CLASSES * EMBEDDING);
      // float32 through normalisation and s = 16: seen 3.9e-5 against gradients up to ~0.6.
      expect(worst).toBeLessThan(1e-4);
    });
  }
});
