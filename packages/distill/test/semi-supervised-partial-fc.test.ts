// Semi-supervised distillation with PartialFC as the classification head: rows labelled −1 are left
// out of PartialFC's cross-entropy and learn from the teacher alone; labelled rows get both terms.
import { initBackend, tf } from '@bigface/backend';
import { PartialFC } from '@bigface/partial-fc';
import { beforeAll, describe, expect, it } from 'vitest';
import { bigFaceDistillObjective } from '../src/big-face-distill-objective';

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
const labels = [0, -1, 2, -1]; // rows 1 and 3 unlabeled
const lambda = 9;
const rows = studentRows.length;

/** Float64 brute force of the distillation term: value and per-row gradient of mean(2 − 2cos). */
function distillation(): { value: number; gradient: number[][] } {
  let value = 0;
  const gradient = studentRows.map((s, i) => {
    const t = teacherRows[i]!;
    const ns = Math.hypot(...s);
    const nt = Math.hypot(...t);
    const cos = s.reduce((sum, v, k) => sum + v * t[k]!, 0) / (ns * nt);
    value += (2 - 2 * cos) / rows;
    // d(2 − 2cos)/ds = −2 (t̂ − cos·ŝ)/|s|, divided by B for the mean.
    return s.map((v, k) => (-2 * (t[k]! / nt - (cos * v) / ns)) / ns / rows);
  });
  return { value, gradient };
}

describe('bigFaceDistillObjective with PartialFC (semi-supervised)', () => {
  it('excludes unlabeled rows from the cross-entropy and gives them only λ·distillation', () => {
    const head = new PartialFC({ numClasses: 5, embeddingSize: 4, seed: 3 });
    const before = tf.memory().numTensors;
    const teacher = tf.tensor2d(teacherRows);
    const { value, gradient } = tf.tidy(() => {
      const f = (s: tf.Tensor) =>
        bigFaceDistillObjective({ classificationLoss: head.forward(s as tf.Tensor2D, labels).loss, student: s as tf.Tensor2D, teacher, lambda }).loss;
      const { value, grad } = tf.valueAndGrad(f)(tf.tensor2d(studentRows));
      return { value: value.dataSync()[0]!, gradient: grad.arraySync() as number[][] };
    });
    // The same head on the labelled rows alone (rows 0 and 2, labels 0 and 2): its loss and gradient.
    const labelledOnly = tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad((s: tf.Tensor) => head.forward(s as tf.Tensor2D, [0, 2]).loss)(tf.tensor2d([studentRows[0]!, studentRows[2]!]));
      return { value: value.dataSync()[0]!, gradient: grad.arraySync() as number[][] };
    });
    const distill = distillation();

    expect(value).toBeCloseTo(labelledOnly.value + lambda * distill.value, 4);
    for (const row of [1, 3])
      gradient[row]!.forEach((g, k) => {
        expect(g).toBeCloseTo(lambda * distill.gradient[row]![k]!, 5);
      });
    [0, 2].forEach((row, subsetRow) => {
      gradient[row]!.forEach((g, k) => {
        expect(g).toBeCloseTo(labelledOnly.gradient[subsetRow]![k]! + lambda * distill.gradient[row]![k]!, 4);
      });
    });
    expect(labelledOnly.gradient.flat().some((g) => Math.abs(g) > 1e-3)).toBe(true);
    teacher.dispose();
    expect(tf.memory().numTensors).toBe(before);
    head.dispose();
  });
});
