import { readFileSync } from 'node:fs';
import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceFile } from '../../../test-support/reference';
import { angularDistillationLoss } from './angular-distillation-loss';

const reference = JSON.parse(readFileSync(referenceFile('distill.json'), 'utf8')) as {
  B: number;
  D: number;
  student: number[];
  teacher: number[];
  loss: number;
  grad_student: number[];
};

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('angularDistillationLoss', () => {
  it('matches PyTorch (distill.json): loss and gradient w.r.t. the student', () => {
    const before = tf.memory().numTensors;
    const student = tf.tensor2d(reference.student, [reference.B, reference.D]);
    const teacher = tf.tensor2d(reference.teacher, [reference.B, reference.D]);
    const { value, grads } = tf.valueAndGrads((s: tf.Tensor) => angularDistillationLoss(s as tf.Tensor2D, teacher))([student]);
    expect(Math.abs(value.dataSync()[0]! - reference.loss)).toBeLessThan(1e-5);
    const gradient = grads[0]!.dataSync();
    reference.grad_student.forEach((expected, index) => {
      expect(Math.abs(gradient[index]! - expected)).toBeLessThan(1e-5);
    });
    tf.dispose([student, teacher, value, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is 2 − 2·cos on a hand-made case', () => {
    // Row 0: s = (3, 4) → (0.6, 0.8), t = (1, 0): 2 − 2·0.6 = 0.8. Row 1: s = (0, 2), t = (0, −5): 2 − 2·(−1) = 4.
    // Mean 2.4; with weights (1, 0): 0.8.
    const loss = tf.tidy(
      () =>
        angularDistillationLoss(
          tf.tensor2d([
            [3, 4],
            [0, 2],
          ]),
          tf.tensor2d([
            [1, 0],
            [0, -5],
          ]),
        ).dataSync()[0],
    );
    expect(loss).toBeCloseTo(2.4, 6);
    const weighted = tf.tidy(
      () =>
        angularDistillationLoss(
          tf.tensor2d([
            [3, 4],
            [0, 2],
          ]),
          tf.tensor2d([
            [1, 0],
            [0, -5],
          ]),
          tf.tensor1d([1, 0]),
        ).dataSync()[0],
    );
    expect(weighted).toBeCloseTo(0.8, 6);
  });

  it('has the gradient of central finite differences (float64 brute force) and none for the teacher', () => {
    const student = [
      [0.3, -1.2, 0.7],
      [2.0, 0.1, -0.4],
    ];
    const teacher = [
      [1.0, 0.5, -0.2],
      [-0.3, 0.9, 0.8],
    ];
    const lossOf = (s: number[][]): number => {
      // Independent float64 formulation: mean of 2 − 2·cos.
      let total = 0;
      s.forEach((row, i) => {
        const t = teacher[i]!;
        const dot = row.reduce((sum, v, k) => sum + v * t[k]!, 0);
        const ns = Math.hypot(...row);
        const nt = Math.hypot(...t);
        total += 2 - (2 * dot) / (ns * nt);
      });
      return total / s.length;
    };
    const before = tf.memory().numTensors;
    const grads = tf.tidy(() => {
      const [gs, gt] = tf.grads((s: tf.Tensor, t: tf.Tensor) => angularDistillationLoss(s as tf.Tensor2D, t as tf.Tensor2D))([
        tf.tensor2d(student),
        tf.tensor2d(teacher),
      ]);
      return [gs!.arraySync() as number[][], gt!.arraySync() as number[][]];
    });
    const h = 1e-6;
    student.forEach((row, i) => {
      row.forEach((_, k) => {
        const plus = student.map((r) => [...r]);
        const minus = student.map((r) => [...r]);
        plus[i]![k]! += h;
        minus[i]![k]! -= h;
        expect(grads[0]![i]![k]!).toBeCloseTo((lossOf(plus) - lossOf(minus)) / (2 * h), 5);
      });
    });
    expect(grads[1]!.flat().every((value) => value === 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('asks for a projection when the embedding sizes differ', () => {
    expect(() => tf.tidy(() => angularDistillationLoss(tf.zeros([2, 4]), tf.zeros([2, 8])))).toThrow(/project the student first \(EmbeddingProjection\)/);
  });
});
