import { BigFaceError, Rng, initBackend, tf } from '@bigface/backend';
import { normalizedCosine } from '@bigface/margin-losses';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from '../test/relative-error';
import { shardCosine } from './shard-cosine';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const B = 3;
const C = 10;
const D = 6;
const rng = new Rng(21);
const embeddings = Array.from({ length: B * D }, () => rng.normal());
const centres = Array.from({ length: C * D }, () => rng.normal(0, 0.01));
const weights = Array.from({ length: B * C }, () => rng.normal()); // R: the objective is Σ R ⊙ cos

/** f(E, W) = Σ_bc R_bc · ⟨e_b, w_c⟩ / (|e_b| |w_c|), in double precision. */
function objective(e: readonly number[], w: readonly number[]): number {
  let total = 0;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      let dot = 0;
      let ee = 0;
      let ww = 0;
      for (let d = 0; d < D; d++) {
        dot += e[b * D + d]! * w[c * D + d]!;
        ee += e[b * D + d]! ** 2;
        ww += w[c * D + d]! ** 2;
      }
      total += weights[b * C + c]! * (dot / Math.sqrt(ee * ww));
    }
  }
  return total;
}

/** Central differences of `objective` in double precision (step 1e-6 relative to each entry's scale). */
function numericGradient(e: number[], w: number[], which: 'e' | 'w'): number[] {
  const x = which === 'e' ? e : w;
  return x.map((value, i) => {
    const step = 1e-6 * Math.max(Math.abs(value), 1e-3);
    const plus = [...x];
    const minus = [...x];
    plus[i] = value + step;
    minus[i] = value - step;
    const f = (v: number[]) => (which === 'e' ? objective(v, w) : objective(e, v));
    return (f(plus) - f(minus)) / (2 * step);
  });
}

/** Value and gradients of Σ R ⊙ shardCosine(E, W) through tfjs, W a variable (as PartialFC's shard). */
function tfjsGradients(rowsPerChunk?: number, asVariable = true) {
  return tf.tidy(() => {
    const e = tf.tensor2d(embeddings, [B, D]);
    const w = asVariable ? tf.variable(tf.tensor2d(centres, [C, D])) : tf.tensor2d(centres, [C, D]);
    const r = tf.tensor2d(weights, [B, C]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(shardCosine(a as tf.Tensor2D, b as tf.Tensor2D, { rowsPerChunk }), r));
    const { value, grads } = tf.valueAndGrads(f)([e, w]);
    const result = { value: value.dataSync()[0]!, gradE: Array.from(grads[0]!.dataSync()), gradW: Array.from(grads[1]!.dataSync()) };
    if (w instanceof tf.Variable) w.dispose();
    return result;
  });
}

describe('shardCosine', () => {
  it('is the cosine of every embedding with every centre (as normalizedCosine)', () => {
    const before = tf.memory().numTensors;
    const [actual, expected] = tf.tidy(() => {
      const e = tf.tensor2d(embeddings, [B, D]);
      const w = tf.tensor2d(centres, [C, D]);
      return [shardCosine(e, w, { rowsPerChunk: 4 }).dataSync(), normalizedCosine(e, w).dataSync()];
    });
    expect(relativeError(actual, expected)).toBeLessThan(1e-6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has gradients that agree with a double-precision finite difference, chunked or not', () => {
    const before = tf.memory().numTensors;
    const numericE = numericGradient(embeddings, centres, 'e');
    const numericW = numericGradient(embeddings, centres, 'w');
    for (const rowsPerChunk of [undefined, 3, 1]) {
      const { value, gradE, gradW } = tfjsGradients(rowsPerChunk);
      expect(Math.abs(value - objective(embeddings, centres))).toBeLessThan(1e-5);
      // float32 arithmetic against exact differences: ~1e-6 seen.
      expect(relativeError(gradE, numericE)).toBeLessThan(1e-4);
      expect(relativeError(gradW, numericW)).toBeLessThan(1e-4);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('equals autodiff through the plain formulation (x / |x|, matMul, clip), with centres as a variable or a tensor', () => {
    const before = tf.memory().numTensors;
    const expected = tf.tidy(() => {
      const r = tf.tensor2d(weights, [B, C]);
      const f = (a: tf.Tensor, b: tf.Tensor) => {
        const unitA = tf.div(a, tf.norm(a, 'euclidean', 1, true));
        const unitB = tf.div(b, tf.norm(b, 'euclidean', 1, true));
        return tf.sum(tf.mul(tf.clipByValue(tf.matMul(unitA, unitB, false, true), -1, 1), r));
      };
      const grads = tf.grads(f)([tf.tensor2d(embeddings, [B, D]), tf.tensor2d(centres, [C, D])]);
      return { gradE: Array.from(grads[0]!.dataSync()), gradW: Array.from(grads[1]!.dataSync()) };
    });
    for (const asVariable of [true, false]) {
      const { gradE, gradW } = tfjsGradients(4, asVariable);
      expect(relativeError(gradE, expected.gradE)).toBeLessThan(1e-5);
      expect(relativeError(gradW, expected.gradW)).toBeLessThan(1e-5);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('clamps zero rows and clipped cosines like F.normalize + clamp (as normalizedCosine)', () => {
    const before = tf.memory().numTensors;
    // Rows 0/1: cos = ±1 exactly (parallel); row 1 of e and row 2 of w are zero vectors.
    const e = tf.tensor2d([
      [3, 4, 0],
      [0, 0, 0],
      [1, -2, 2],
    ]);
    const w = tf.tensor2d([
      [0.3, 0.4, 0],
      [-6, -8, 0],
      [0, 0, 0],
      [2, 1, -1],
    ]);
    const r = tf.tensor2d(weights.slice(0, 12), [3, 4]);
    const run = (cosine: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) =>
      tf.tidy(() => {
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(cosine(a as tf.Tensor2D, b as tf.Tensor2D), r));
        const [gradE, gradW] = tf.grads(f)([e, w]);
        return [cosine(e, w).dataSync(), gradE!.dataSync(), gradW!.dataSync()];
      });
    const actual = run((a, b) => shardCosine(a, b, { rowsPerChunk: 3 }));
    const expected = run(normalizedCosine);
    expect(Array.from(actual[0]!)).toEqual(Array.from(expected[0]!));
    expect(relativeError(actual[1]!, expected[1]!)).toBeLessThan(1e-5);
    expect(relativeError(actual[2]!, expected[2]!)).toBeLessThan(1e-5);
    tf.dispose([e, w, r]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('peaks near 3 shards of centres in a forward + backward step (centres, gradient pieces, gradient)', async () => {
    // 8192 × 64 centres = 2 MiB; autodiff through centres / |centres| peaked at ~7 shards.
    const initial = tf.randomNormal([8192, 64], 0, 0.01, 'float32', 1);
    const w = tf.variable(initial) as tf.Variable<tf.Rank.R2>;
    initial.dispose(); // the variable keeps the data
    const e = tf.randomNormal([4, 64], 0, 1, 'float32', 2) as tf.Tensor2D;
    const shardBytes = 8192 * 64 * 4;
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(shardCosine(e, w, { rowsPerChunk: 1024 })), [w]);
      tf.dispose([value, ...Object.values(grads)]);
    });
    // 3 shards (centres, gradient pieces, concatenated gradient) + five [4, 8192] tensors (1/16 shard
    // each): 3.35 seen. normalizedCosine (margin-losses) peaks at 6.3 here.
    expect(profile.peakBytes).toBeLessThan(3.5 * shardBytes);
    tf.dispose([w, e]);
  });

  it('refuses a centres variable reassigned between the forward and the backward pass', () => {
    const initial = tf.tensor2d(centres, [C, D]);
    const w = tf.variable(initial);
    initial.dispose();
    const e = tf.tensor2d(embeddings, [B, D]);
    const f = () => {
      const cosine = shardCosine(e, w);
      w.assign(tf.zeros([C, D]));
      return tf.sum(cosine) as tf.Scalar;
    };
    let error: unknown;
    try {
      tf.variableGrads(f, [w]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BigFaceError);
    expect((error as BigFaceError).message).toMatch(/reassigned between the forward and the backward pass/);
    tf.dispose([w, e]);
  });

  it('rejects mismatched dimensions and a bad chunk size', () => {
    const e = tf.zeros([2, 4]) as tf.Tensor2D;
    const w = tf.zeros([3, 5]) as tf.Tensor2D;
    const matching = tf.zeros([3, 4]) as tf.Tensor2D;
    expect(() => shardCosine(e, w)).toThrow(/embeddings have dimension 4 but centres have 5/);
    expect(() => shardCosine(e, matching, { rowsPerChunk: 0 })).toThrow(/rowsPerChunk must be a positive integer/);
    tf.dispose([e, w, matching]);
  });
});
