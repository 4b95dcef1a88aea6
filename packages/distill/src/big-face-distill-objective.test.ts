import { initBackend, tf } from '@bigface/backend';
import { cosFace, maskedSoftmaxCrossEntropy, normalizedCosine } from '@bigface/margin-losses';
import { beforeAll, describe, expect, it } from 'vitest';
import { angularDistillationLoss } from './angular-distillation-loss';
import { bigFaceDistillObjective } from './big-face-distill-objective';
import { EmbeddingProjection } from './embedding-projection';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const studentRows = [
  [0.3, -1.2, 0.7, 0.1],
  [2.0, 0.1, -0.4, 0.5],
  [-0.6, 0.8, 0.2, -1.1],
  [0.9, 0.9, -0.9, 0.3],
];
const teacherRows = [
  [1.0, 0.5, -0.2, 0.4],
  [-0.3, 0.9, 0.8, 0.1],
  [0.2, 0.2, 0.9, -0.5],
  [0.5, -0.7, 0.1, 0.6],
];
const centreRows = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 1],
];
const labelValues = [0, -1, 2, -1]; // rows 1 and 3 are unlabeled

function gradients(lambda: number): { objective: number[][]; classification: number[][]; distillation: number[][] } {
  return tf.tidy(() => {
    const centres = tf.tensor2d(centreRows);
    const labels = tf.tensor1d(labelValues, 'int32');
    const teacher = tf.tensor2d(teacherRows);
    const classification = (s: tf.Tensor2D): tf.Scalar => maskedSoftmaxCrossEntropy(cosFace()(normalizedCosine(s, centres), labels), labels);
    const grad = (f: (s: tf.Tensor2D) => tf.Scalar): number[][] =>
      tf
        .grad((s: tf.Tensor) => f(s as tf.Tensor2D))(tf.tensor2d(studentRows))
        .arraySync() as number[][];
    return {
      objective: grad((s) => bigFaceDistillObjective({ classificationLoss: classification(s), student: s, teacher, lambda }).loss),
      classification: grad(classification),
      distillation: grad((s) => angularDistillationLoss(s, teacher)),
    };
  });
}

describe('bigFaceDistillObjective', () => {
  it('is L_CosFace + λ·L_distill (λ = 9 by default) and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const values = tf.tidy(() => {
      const student = tf.tensor2d([
        [3, 4],
        [0, 2],
      ]);
      const teacher = tf.tensor2d([
        [1, 0],
        [0, -5],
      ]);
      const { loss, classificationLoss, distillationLoss } = bigFaceDistillObjective({ classificationLoss: tf.scalar(1.5), student, teacher });
      return [loss.dataSync()[0]!, classificationLoss.dataSync()[0]!, distillationLoss.dataSync()[0]!];
    });
    // Distillation: mean(0.8, 4) = 2.4 (2 − 2cos per row); loss = 1.5 + 9·2.4 = 23.1.
    expect(values[0]).toBeCloseTo(23.1, 4);
    expect(values[1]).toBeCloseTo(1.5, 6);
    expect(values[2]).toBeCloseTo(2.4, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives unlabeled rows only the distillation gradient, labelled rows both', () => {
    const lambda = 9;
    const { objective, classification, distillation } = gradients(lambda);
    for (const row of [1, 3]) {
      classification[row]!.forEach((value) => {
        expect(value).toBe(0);
      });
      objective[row]!.forEach((value, k) => {
        expect(value).toBeCloseTo(lambda * distillation[row]![k]!, 5);
      });
    }
    for (const row of [0, 2]) {
      expect(classification[row]!.some((value) => Math.abs(value) > 1e-3)).toBe(true);
      objective[row]!.forEach((value, k) => {
        expect(value).toBeCloseTo(classification[row]![k]! + lambda * distillation[row]![k]!, 4);
      });
    }
  });

  it('restricts distillation to a row mask when given (labelled-only ablation)', () => {
    const value = tf.tidy(
      () =>
        bigFaceDistillObjective({
          classificationLoss: tf.scalar(0),
          student: tf.tensor2d([
            [3, 4],
            [0, 2],
          ]),
          teacher: tf.tensor2d([
            [1, 0],
            [0, -5],
          ]),
          lambda: 1,
          labelled: tf.tensor1d([true, false], 'bool'),
        }).distillationLoss.dataSync()[0],
    );
    // Only row 0: 2 − 2·0.6 = 0.8.
    expect(value).toBeCloseTo(0.8, 6);
  });

  it('an EmbeddingProjection holds exactly its one weight and frees it on dispose', () => {
    const before = tf.memory().numTensors;
    const projection = new EmbeddingProjection({ inputSize: 4, outputSize: 3, seed: 5, name: 'leak_check' });
    expect(tf.memory().numTensors - before).toBe(1);
    projection.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('distils through a learned projection when the sizes differ, training the projection', () => {
    const projection = new EmbeddingProjection({ inputSize: 4, outputSize: 3, seed: 1 });
    const before = tf.memory().numTensors;
    const teacher = tf.tensor2d([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 0],
    ]);
    const student = tf.tensor2d(studentRows);
    const { value, grads } = tf.variableGrads(
      () => bigFaceDistillObjective({ classificationLoss: tf.scalar(0), student, teacher, projection: (s) => projection.apply(s) }).loss,
    );
    expect(value.shape).toEqual([]);
    expect(Object.keys(grads)).toEqual([projection.weight.name]);
    expect(tf.tidy(() => tf.sum(tf.abs(grads[projection.weight.name]!)).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([teacher, student, value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    projection.dispose();
  });

  it('refuses a negative lambda', () => {
    expect(() => bigFaceDistillObjective({ classificationLoss: tf.scalar(0), student: tf.zeros([1, 2]), teacher: tf.zeros([1, 2]), lambda: -1 })).toThrow(
      /lambda must be a finite number ≥ 0, got -1/,
    );
  });
});
