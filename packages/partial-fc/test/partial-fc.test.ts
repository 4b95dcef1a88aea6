import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, launchRanks, Rng, SingleCommunicator, tf } from '@bigface/backend';
import { cosFace } from '@bigface/margin-losses';
import { PartialFC } from '@bigface/partial-fc';
import { readReferenceJson } from '../../../test-support/reference';

interface ReferenceCase {
  name: string;
  s: number;
  m2: number;
  m3: number;
  B: number;
  C: number;
  D: number;
  embeddings: number[];
  weights: number[];
  labels: number[];
  loss: number;
  grad_embeddings: number[];
  grad_weights: number[];
}
const reference = readReferenceJson<{ cases: ReferenceCase[] }>('margin-losses.json');
const fixture = fileURLToPath(new URL('./fixtures/sharded-step.mjs', import.meta.url));

interface RankResult {
  largestTensor: number;
  loss: number;
  accuracy: number;
  gradEmbeddings: number[];
  gradWeight: number[];
  shard: { start: number; count: number };
  leaked: number;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number, absolute = 1e-7): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs((actual[i] as number) - (expected[i] as number));
    const allowed = absolute + relative * Math.abs(expected[i] as number);
    worst = Math.max(worst, error / allowed);
  }
  expect(worst).toBeLessThanOrEqual(1);
}

/** Splits B rows into W uneven parts (the first ranks get more), each at least 1 row. */
function unevenRows(batch: number, worldSize: number): number[] {
  const rows = Array.from({ length: worldSize }, (_, r) => Math.floor(batch / worldSize) + (r < batch % worldSize ? 1 : 0));
  if (worldSize > 1 && rows[0]! > 1) {
    rows[0]! += 1;
    rows[worldSize - 1]! -= 1;
  }
  return rows;
}

async function runSharded(
  worldSize: number,
  args: Record<string, unknown> & { embeddings: number[]; labels: number[]; D: number; s: number; m2: number; m3: number },
) {
  const batch = args.labels.length;
  const rowsPerRank = unevenRows(batch, worldSize);
  const results = (await launchRanks({
    worldSize,
    module: fixture,
    args: { ...args, embeddingSize: args.D, rowsPerRank },
  })) as RankResult[];
  return {
    results,
    gradEmbeddings: results.flatMap((r) => r.gradEmbeddings),
    gradWeight: results.flatMap((r) => r.gradWeight),
  };
}

/**
 * The unsharded classifier written independently of PartialFC: normalise, full cosine matrix,
 * CosFace margin on the target column (s·(cos − m)), log-softmax over all classes, mean over the
 * rows whose label is not −1 — with tfjs autodiff for the gradients.
 */
function fullClassifier(embeddings: number[], weights: number[], labels: number[], B: number, C: number, D: number, s: number, m: number) {
  return tf.tidy(() => {
    const e = tf.tensor2d(embeddings, [B, D]);
    const w = tf.tensor2d(weights, [C, D]);
    const mask = labels.map((l) => (l >= 0 ? 1 : 0));
    const labelled = mask.reduce((a: number, b) => a + b, 0);
    const f = (x: tf.Tensor, y: tf.Tensor) => {
      const xn = tf.div(x, tf.norm(x, 'euclidean', 1, true));
      const yn = tf.div(y, tf.norm(y, 'euclidean', 1, true));
      const cosine = tf.clipByValue(tf.matMul(xn, yn, false, true), -1, 1);
      const oneHot = tf.oneHot(
        tf.tensor1d(
          labels.map((l) => Math.max(l, 0)),
          'int32',
        ),
        C,
      );
      const rowMask = tf.tensor2d(mask, [B, 1]);
      const logits = tf.mul(tf.sub(cosine, tf.mul(tf.mul(oneHot, rowMask), m)), s);
      const logProbabilities = tf.logSoftmax(logits);
      const perRow = tf.neg(tf.sum(tf.mul(logProbabilities, oneHot), 1));
      return tf.div(tf.sum(tf.mul(perRow, tf.tensor1d(mask))), labelled) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)([e, w]);
    return { loss: value.dataSync()[0] as number, gradEmbeddings: Array.from(grads[0]!.dataSync()), gradWeight: Array.from(grads[1]!.dataSync()) };
  });
}

describe('PartialFC', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  for (const referenceCase of reference.cases) {
    it(`one rank reproduces the PyTorch reference (${referenceCase.name}): loss and gradients within 1e-4`, async () => {
      const { results, gradEmbeddings, gradWeight } = await runSharded(1, {
        ...referenceCase,
        margin: referenceCase.name,
        numClasses: referenceCase.C,
      });
      // Relative, so that it holds at any loss magnitude: 5e-6 of today's losses (65, 71) is tighter
      // than the 5e-4 absolute (toBeCloseTo 3 digits) it replaces.
      expectClose([results[0]!.loss], [referenceCase.loss], 5e-6);
      expectClose(gradEmbeddings, referenceCase.grad_embeddings, 1e-4, 1e-6);
      expectClose(gradWeight, referenceCase.grad_weights, 1e-4, 1e-6);
      expect(results[0]!.leaked).toBe(0);
    });
  }

  it('W = 2 ranks on the wasm backend equal the reference too', async () => {
    const referenceCase = reference.cases[0]!;
    const { results, gradEmbeddings, gradWeight } = await runSharded(2, {
      ...referenceCase,
      margin: referenceCase.name,
      numClasses: referenceCase.C,
      backend: 'wasm',
    });
    expectClose([results[0]!.loss], [referenceCase.loss], 1e-5);
    expectClose(gradEmbeddings, referenceCase.grad_embeddings, 1e-4, 1e-6);
    expectClose(gradWeight, referenceCase.grad_weights, 1e-4, 1e-6);
  });

  for (const worldSize of [2, 3, 4]) {
    it(`W = ${worldSize} ranks equal the unsharded reference (uneven C % W and uneven batch)`, async () => {
      for (const referenceCase of reference.cases) {
        expect(referenceCase.B, `${referenceCase.name}: W = ${worldSize} needs a batch of at least ${worldSize} rows (one per rank)`).toBeGreaterThanOrEqual(
          worldSize,
        );
        const { results, gradEmbeddings, gradWeight } = await runSharded(worldSize, {
          ...referenceCase,
          margin: referenceCase.name,
          numClasses: referenceCase.C,
        });
        for (const r of results) {
          expectClose([r.loss], [referenceCase.loss], 1e-5);
          expect(r.leaked).toBe(0);
        }
        // No rank materialises the C×D centres or the B_global×C logits: every kernel output fits in
        // a rank's own share — the gathered [B, D] embeddings, its [⌈C/W⌉, D] centres, its [B, ⌈C/W⌉]
        // logits (and their gradients). (Today B 6, C 10, D 8: at most 48 elements, where the full
        // centres have 80 and the full logits 60.)
        const { B, C, D } = referenceCase;
        const shard = Math.ceil(C / worldSize);
        const share = Math.max(B * D, shard * D, B * shard);
        for (const r of results) expect(r.largestTensor).toBeLessThanOrEqual(share);
        // The loss is bit-identical on every rank (reductions run in rank order).
        expect(new Set(results.map((r) => r.loss)).size).toBe(1);
        expectClose(gradEmbeddings, referenceCase.grad_embeddings, 1e-4, 1e-6);
        expectClose(gradWeight, referenceCase.grad_weights, 1e-4, 1e-6);
      }
    });
  }

  it('rows labelled −1 add nothing to the loss or its gradient, sharded or not', async () => {
    const rng = new Rng(11);
    const B = 9;
    const C = 7;
    const D = 6;
    const embeddings = Array.from({ length: B * D }, () => rng.normal());
    const weights = Array.from({ length: C * D }, () => rng.normal());
    const labels = [3, -1, 0, 6, -1, -1, 2, 5, 1];
    // CosFace with the paper's s = 64, m = 0.4 (insightface's m3).
    const [s, m] = [64, 0.4];
    const expected = fullClassifier(embeddings, weights, labels, B, C, D, s, m);
    for (const worldSize of [1, 3]) {
      const { results, gradEmbeddings, gradWeight } = await runSharded(worldSize, {
        embeddings,
        weights,
        labels,
        D,
        numClasses: C,
        margin: 'cosface',
        s,
        m2: 0,
        m3: m,
      });
      expectClose([results[0]!.loss], [expected.loss], 1e-5);
      expectClose(gradEmbeddings, expected.gradEmbeddings, 1e-4, 1e-6);
      expectClose(gradWeight, expected.gradWeight, 1e-4, 1e-6);
      // Unlabeled rows get exactly zero gradient.
      for (const row of [1, 4, 5]) {
        expect(gradEmbeddings.slice(row * D, (row + 1) * D).every((g) => g === 0)).toBe(true);
      }
    }
  });

  it('creating and disposing a head leaves no tensor behind (one variable while it lives)', () => {
    const before = tf.memory();
    const head = new PartialFC({ numClasses: 10, embeddingSize: 4, communicator: new SingleCommunicator(), seed: 2, name: 'leak_check' });
    expect(tf.memory().numTensors - before.numTensors).toBe(1);
    head.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('refuses a margin that is not a TargetMargin (a row-dependent margin would be silently wrong)', () => {
    const rowDependent = (cosine: tf.Tensor2D) => tf.mul(cosine, tf.reshape(tf.range(1, cosine.shape[0] + 1), [-1, 1])) as tf.Tensor2D;
    expect(() => new PartialFC({ numClasses: 5, embeddingSize: 4, margin: rowDependent as never })).toThrow(
      expect.objectContaining({
        code: 'INVALID_MARGIN',
        message: expect.stringContaining('a margin whose other logits depend on the row (AdaFace-like) is not supported'),
      }),
    );
  });

  it('a batch with no labelled row has loss 0 and zero gradients', () => {
    const head = new PartialFC({ numClasses: 5, embeddingSize: 4, communicator: new SingleCommunicator(), margin: cosFace(), name: 'unlabeled' });
    const embeddings = tf.randomNormal([3, 4]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const { value, grads } = tf.valueAndGrads((e: tf.Tensor) => head.forward(e as tf.Tensor2D, [-1, -1, -1]).loss)([embeddings]);
    expect(value.dataSync()[0]).toBe(0);
    expect(Array.from(grads[0]!.dataSync()).every((g) => g === 0)).toBe(true);
    tf.dispose([value, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
    embeddings.dispose();
    head.dispose();
  });

  it('initialises N(0, 0.01) centres independent of the world size, and validates its inputs', () => {
    const full = new PartialFC({ numClasses: 10, embeddingSize: 8, seed: 3, name: 'full' });
    const allRows = full.weight.arraySync();
    const values = allRows.flat();
    const std = Math.sqrt(values.reduce((a, v) => a + v * v, 0) / values.length);
    expect(std).toBeGreaterThan(0.007);
    expect(std).toBeLessThan(0.013);
    // Rank 2 of 3 owns classes 7..9 and must hold the same rows as the single-rank classifier.
    const fakeRank = { rank: 2, worldSize: 3 } as unknown as SingleCommunicator;
    const shard = new PartialFC({ numClasses: 10, embeddingSize: 8, seed: 3, communicator: fakeRank, name: 'rank2' });
    expect(shard.shard).toEqual({ start: 7, count: 3 });
    expect(shard.weight.arraySync()).toEqual(allRows.slice(7));
    expect(() => full.forward(tf.zeros([2, 8]) as tf.Tensor2D, [0, 10])).toThrow(/label 10 is outside \[0, 10\)/);
    expect(() => full.forward(tf.zeros([2, 7]) as tf.Tensor2D, [0, 1])).toThrow(/embeddings must be \[batch, 8\]/);
    expect(() => new PartialFC({ numClasses: 10, embeddingSize: 8, sampleRate: 0, name: 'bad' })).toThrow(/sampleRate/);
    full.dispose();
    shard.dispose();
  });
});
