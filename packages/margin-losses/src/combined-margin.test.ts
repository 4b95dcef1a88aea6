import { Rng, initBackend, isBigFaceError, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { finiteDifference, relativeError } from '../test/helpers';
import { combinedMargin, isTargetMargin } from './combined-margin';
import { maskedSoftmaxCrossEntropy } from './masked-softmax-cross-entropy';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

// A 3×4 cosine matrix; row 2 is unlabeled.
const cosine = [
  [0.8, 0.1, -0.3, 0.5],
  [-0.2, 0.4, 0.9, -0.7],
  [0.6, 0.6, 0.6, 0.6],
];
const labels = [0, 3, -1];

/** The combined margin worked out in double precision, element by element. */
function expected(s: number, m1: number, m2: number, m3: number): number[][] {
  return cosine.map((row, i) => row.map((c, j) => s * (j === labels[i] ? Math.cos(m1 * Math.acos(c) + m2) - m3 : c)));
}

function apply(margin: ReturnType<typeof combinedMargin>, values: number[][], labelValues: number[]): number[][] {
  return tf.tidy(() => margin(tf.tensor2d(values), tf.tensor1d(labelValues, 'int32')).arraySync());
}

describe('combinedMargin', () => {
  it.each([
    ['CosFace', 64, 1, 0, 0.4],
    ['ArcFace', 64, 1, 0.5, 0],
    ['combined (insightface 1.0, 0.3, 0.2)', 64, 1, 0.3, 0.2],
    ['multiplicative m1 = 2', 30, 2, 0, 0],
  ])('%s: margin on the target logit only, every logit scaled by s', (_, s, m1, m2, m3) => {
    const before = tf.memory().numTensors;
    const actual = apply(combinedMargin({ s, m1, m2, m3 }), cosine, labels).flat();
    expect(relativeError(actual, expected(s, m1, m2, m3).flat())).toBeLessThan(1e-6);
    // The unlabeled row is exactly s·cos θ.
    expect(actual.slice(8)).toEqual(cosine[2]!.map((c) => Math.fround(Math.fround(c) * s)));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('equals the unsharded margin when applied per shard of classes with re-based labels', () => {
    const before = tf.memory().numTensors;
    const margin = combinedMargin({ s: 64, m2: 0.5 });
    const full = apply(margin, cosine, labels);
    // Shard 0 holds classes 0–1, shard 1 classes 2–3; labels outside a shard become −1.
    const shards = [
      { start: 0, count: 2 },
      { start: 2, count: 2 },
    ];
    const pieces = shards.map(({ start, count }) =>
      apply(
        margin,
        cosine.map((row) => row.slice(start, start + count)),
        labels.map((l) => (l >= start && l < start + count ? l - start : -1)),
      ),
    );
    const joined = full.map((_, i) => [...pieces[0]![i]!, ...pieces[1]![i]!]);
    expect(joined).toEqual(full);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has gradients that agree with a finite difference (ArcFace and combined)', () => {
    const before = tf.memory().numTensors;
    const rng = new Rng(3);
    const [rows, classes] = [4, 5];
    const values = Float32Array.from({ length: rows * classes }, () => rng.uniform(-0.95, 0.95));
    const labelTensor = tf.tensor1d([1, 4, -1, 0], 'int32');
    const weights = tf.tensor2d(rng.fillNormal(new Float32Array(rows * classes)), [rows, classes]);
    for (const options of [
      { s: 2, m2: 0.5 },
      { s: 2, m1: 1.5, m2: 0.3, m3: 0.2 },
    ]) {
      const margin = combinedMargin(options);
      const f = (x: tf.Tensor) => tf.sum(tf.mul(margin(x as tf.Tensor2D, labelTensor), weights));
      const x = tf.tensor2d(values, [rows, classes]);
      const gradient = tf.grad(f)(x);
      const numeric = finiteDifference((v) => tf.tidy(() => f(tf.tensor2d(v, [rows, classes])).dataSync()[0]!), values, 1e-3);
      expect(relativeError(gradient.dataSync(), numeric)).toBeLessThan(2e-3);
      tf.dispose([x, gradient]);
    }
    tf.dispose([labelTensor, weights]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the ArcFace gradient finite when the target cosine is exactly ±1', () => {
    const before = tf.memory().numTensors;
    const margin = combinedMargin({ s: 64, m2: 0.5 });
    const x = tf.tensor2d([
      [1, 0.2, -0.1],
      [0.3, -1, 0.5],
    ]);
    const labelTensor = tf.tensor1d([0, 1], 'int32');
    // d/dx s·cos(acos x + m) = s·sin(acos x + m) / sqrt(1 − x²), with 1 − x² floored at 1e-6:
    // at x = 1: 64·sin(0.5)·1000 ≈ 30683; at x = −1: 64·sin(π + 0.5)·1000 ≈ −30683.
    const marginGradient = tf.tidy(() =>
      tf
        .grad((v: tf.Tensor) => tf.sum(margin(v as tf.Tensor2D, labelTensor)))(x)
        .dataSync(),
    );
    expect(marginGradient[0]).toBeCloseTo(64 * Math.sin(0.5) * 1000, -1);
    expect(marginGradient[4]).toBeCloseTo(-64 * Math.sin(0.5) * 1000, -1);
    expect(marginGradient[1]).toBe(64);
    const gradient = tf.grad((v: tf.Tensor) => maskedSoftmaxCrossEntropy(margin(v as tf.Tensor2D, labelTensor), labelTensor))(x);
    expect(Array.from(gradient.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, labelTensor, gradient]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options and labels with named arguments', () => {
    const before = tf.memory().numTensors;
    const catchError = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error;
      }
      throw new Error('expected an error');
    };
    const badS = catchError(() => combinedMargin({ s: 0 }));
    expect(isBigFaceError(badS, 'INVALID_ARGUMENT') && /s must be positive/.test((badS as Error).message)).toBe(true);
    expect(
      isBigFaceError(
        catchError(() => combinedMargin({ m2: Number.NaN })),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    const margin = combinedMargin();
    const x = tf.tensor2d(cosine);
    const cases: Array<[tf.Tensor, string, RegExp]> = [
      [tf.tensor1d([0, 3, 4], 'int32'), 'INVALID_LABEL', /labels\[2\] = 4 is outside \[0, 4\)/],
      [tf.tensor1d([0, 3, -2], 'int32'), 'INVALID_LABEL', /labels\[2\] = -2/],
      [tf.tensor1d([0, 3, 1]), 'INVALID_DTYPE', /labels must be int32/],
      [tf.tensor1d([0, 3], 'int32'), 'INVALID_SHAPE', /2 labels for 3 rows/],
    ];
    for (const [labelTensor, code, message] of cases) {
      const error = catchError(() => margin(x, labelTensor as tf.Tensor1D));
      expect(isBigFaceError(error, code), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      labelTensor.dispose();
    }
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is a TargetMargin: targetLogit of the target cosines and scale give the matrix form, values and gradients', () => {
    for (const [s, m1, m2, m3] of [
      [64, 1, 0, 0.4],
      [64, 1, 0.5, 0],
      [32, 1.2, 0.3, 0.2],
    ] as const) {
      const margin = combinedMargin({ s, m1, m2, m3 });
      expect(isTargetMargin(margin)).toBe(true);
      expect(margin.scale).toBe(s);
      const targets = [cosine[0]![0]!, cosine[1]![3]!]; // rows 0 and 1 of the matrix at their labels
      // Against the element-by-element formula in double precision.
      const logits = tf.tidy(() => margin.targetLogit(tf.tensor2d(targets, [2, 1])).arraySync());
      const formula = expected(s, m1, m2, m3);
      expect(Math.abs(logits[0]![0]! - formula[0]![0]!) / Math.abs(formula[0]![0]!)).toBeLessThan(1e-6);
      expect(Math.abs(logits[1]![0]! - formula[1]![3]!) / Math.abs(formula[1]![3]!)).toBeLessThan(1e-6);
      // d targetLogit / dt against a central finite difference in double precision.
      const slope = tf.tidy(
        () =>
          tf
            .grad((t: tf.Tensor) => tf.sum(margin.targetLogit(t as tf.Tensor2D)))(tf.tensor2d([0.3], [1, 1]))
            .dataSync()[0]!,
      );
      const f = (t: number) => s * (Math.cos(m1 * Math.acos(t) + m2) - m3);
      expect(Math.abs(slope - (f(0.3 + 1e-6) - f(0.3 - 1e-6)) / 2e-6) / Math.abs(slope)).toBeLessThan(1e-3);
    }
    // A plain function is no TargetMargin.
    expect(isTargetMargin((c: tf.Tensor2D) => c)).toBe(false);
  });
});
