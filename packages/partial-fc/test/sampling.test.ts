import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng, tf } from '@bigface/backend';
import { LARSOptimizer } from '@bigface/lars';
import { PartialFC } from '@bigface/partial-fc';

/** Rows of the centre gradient that are not all zero: the centres used this step. */
function touchedCentres(head: PartialFC, embeddings: tf.Tensor2D, labels: number[]): number[] {
  const gradient = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => head.forward(embeddings, labels).loss, [head.weight]);
    return grads[head.weight.name]!.arraySync() as number[][];
  });
  return gradient.flatMap((row, c) => (row.some((g) => g !== 0) ? [c] : []));
}

describe('PartialFC sampling (sampleRate < 1)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('uses every positive centre plus seeded negatives up to sampleRate·C, deterministically', () => {
    const rng = new Rng(5);
    const numClasses = 40;
    const embeddings = tf.tensor2d(
      Array.from({ length: 6 * 8 }, () => rng.normal()),
      [6, 8],
    );
    const labels = [3, 17, 17, 29, -1, 0];
    const make = (name: string) => new PartialFC({ numClasses, embeddingSize: 8, sampleRate: 0.25, seed: 9, name });
    const a = make('a');
    const b = make('b');
    const before = tf.memory().numTensors;
    const first = touchedCentres(a, embeddings, labels);
    // 0.25 · 40 = 10 centres: the 4 distinct positives {0, 3, 17, 29} and 6 negatives.
    expect(first).toHaveLength(10);
    for (const positive of [0, 3, 17, 29]) expect(first).toContain(positive);
    expect(touchedCentres(b, embeddings, labels)).toEqual(first);
    // The next step draws other negatives (seeded by step), still with all positives.
    const second = touchedCentres(a, embeddings, labels);
    expect(second).toHaveLength(10);
    for (const positive of [0, 3, 17, 29]) expect(second).toContain(positive);
    expect(second).not.toEqual(first);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(embeddings);
    a.dispose();
    b.dispose();
  });

  it('with sampling, the loss equals the full loss restricted to the sampled classes', () => {
    // Independent formulation: the softmax over the sampled classes only, computed densely.
    const rng = new Rng(8);
    const embeddings = tf.tensor2d(
      Array.from({ length: 4 * 5 }, () => rng.normal()),
      [4, 5],
    );
    const labels = [1, 7, 7, 12];
    const head = new PartialFC({ numClasses: 16, embeddingSize: 5, sampleRate: 0.5, seed: 2, name: 'restricted' });
    const sampled = touchedCentres(head, embeddings, labels);
    head.currentStep = 0; // replay the same draw
    const loss = tf.tidy(() => head.forward(embeddings, labels).loss.dataSync()[0] as number);
    const expected = tf.tidy(() => {
      const e = tf.div(embeddings, tf.norm(embeddings, 'euclidean', 1, true));
      const wAll = head.weight;
      const w = tf.gather(tf.div(wAll, tf.norm(wAll, 'euclidean', 1, true)), sampled);
      const cosine = tf.matMul(e, w, false, true).arraySync() as number[][];
      let total = 0;
      labels.forEach((label, i) => {
        const column = sampled.indexOf(label);
        const logits = cosine[i]!.map((c, j) => 64 * (j === column ? c - 0.4 : c));
        const max = Math.max(...logits);
        const logSumExp = max + Math.log(logits.reduce((a, z) => a + Math.exp(z - max), 0));
        total += logSumExp - logits[column]!;
      });
      return total / labels.length;
    });
    expect(sampled).toHaveLength(8);
    expect(Math.abs(loss - expected)).toBeLessThan(1e-4 * Math.abs(expected));
    embeddings.dispose();
    head.dispose();
  });

  it('with LARS updateRows, only sampled centres and their momentum change', async () => {
    const rng = new Rng(21);
    const numClasses = 30;
    const head = new PartialFC({ numClasses, embeddingSize: 6, sampleRate: 0.2, seed: 3, name: 'sparse' });
    const optimizer = new LARSOptimizer({ learningRate: 1, eta: 0.05, updateRows: (v) => (v === head.weight ? head.sampledRows : undefined) });
    const embeddings = tf.tensor2d(
      Array.from({ length: 4 * 6 }, () => rng.normal()),
      [4, 6],
    );
    const labels = [2, 9, 9, 20];
    const rowsOf = () => head.weight.arraySync() as number[][];
    const initial = rowsOf();
    tf.dispose(optimizer.minimize(() => head.forward(embeddings, labels).loss, true, [head.weight]) ?? []);
    const first = new Set(head.sampledRows);
    expect(first.size).toBe(6); // 0.2 · 30
    const afterFirst = rowsOf();
    for (let c = 0; c < numClasses; c++) {
      if (first.has(c)) expect(afterFirst[c]).not.toEqual(initial[c]);
      else expect(afterFirst[c]).toEqual(initial[c]);
    }
    tf.dispose(optimizer.minimize(() => head.forward(embeddings, labels).loss, true, [head.weight]) ?? []);
    const second = new Set(head.sampledRows);
    const afterSecond = rowsOf();
    // A centre sampled in step 1 but not in step 2 keeps its step-1 value: its momentum did not move it.
    const onlyFirst = [...first].filter((c) => !second.has(c));
    expect(onlyFirst.length).toBeGreaterThan(0);
    for (const c of onlyFirst) expect(afterSecond[c]).toEqual(afterFirst[c]);
    const [, momentum] = await optimizer.getWeights();
    const momentumRows = momentum!.tensor.arraySync() as number[][];
    for (let c = 0; c < numClasses; c++) {
      if (!first.has(c) && !second.has(c)) expect(momentumRows[c]!.every((m) => m === 0)).toBe(true);
    }
    optimizer.dispose();
    embeddings.dispose();
    head.dispose();
  });
});
