import { Rng, initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from '../test/helpers';
import { maskedSoftmaxCrossEntropy } from './masked-softmax-cross-entropy';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** Cross-entropy of one row in double precision: log Σ_j exp(z_j − max) + max − z_y. */
function rowLoss(row: number[], label: number): number {
  const max = Math.max(...row);
  return Math.log(row.reduce((sum, z) => sum + Math.exp(z - max), 0)) + max - row[label]!;
}

/** d loss / d z for the masked mean: (softmax(z_i) − onehot(y_i)) / n on labelled rows, 0 elsewhere. */
function lossGradient(rows: number[][], labels: number[]): number[] {
  const n = labels.filter((l) => l >= 0).length;
  return rows.flatMap((row, i) => {
    if (labels[i]! < 0) return row.map(() => 0);
    const max = Math.max(...row);
    const total = row.reduce((sum, z) => sum + Math.exp(z - max), 0);
    return row.map((z, j) => (Math.exp(z - max) / total - (j === labels[i] ? 1 : 0)) / n);
  });
}

describe('maskedSoftmaxCrossEntropy', () => {
  const rng = new Rng(5);
  const rows = Array.from({ length: 5 }, () => Array.from({ length: 7 }, () => rng.normal(0, 20)));
  const labels = [3, -1, 0, 6, -1];

  it('is the mean cross-entropy over labelled rows, with gradient (softmax − onehot)/n', () => {
    const before = tf.memory().numTensors;
    const logits = tf.tensor2d(rows);
    const labelTensor = tf.tensor1d(labels, 'int32');
    const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => maskedSoftmaxCrossEntropy(z as tf.Tensor2D, labelTensor))(logits);
    const expected = (rowLoss(rows[0]!, 3) + rowLoss(rows[2]!, 0) + rowLoss(rows[3]!, 6)) / 3;
    expect(Math.abs(value.dataSync()[0]! - expected) / expected).toBeLessThan(1e-6);
    expect(relativeError(grad.dataSync(), lossGradient(rows, labels))).toBeLessThan(1e-6);
    tf.dispose([logits, labelTensor, value, grad]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is stable for logits far beyond exp range (±1000)', () => {
    const before = tf.memory().numTensors;
    const big = [
      [1000, -1000, 999],
      [-1000, -1001, -1002],
    ];
    const loss = tf.tidy(() => maskedSoftmaxCrossEntropy(tf.tensor2d(big), tf.tensor1d([2, 0], 'int32')).dataSync()[0]!);
    // Row 0: log(1 + e^−1) + 1 ≈ 1.31326; row 1: log(1 + e^−1 + e^−2) ≈ 0.40761.
    expect(loss).toBeCloseTo((rowLoss(big[0]!, 2) + rowLoss(big[1]!, 0)) / 2, 4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is 0 with a zero gradient when no row is labelled', () => {
    const before = tf.memory().numTensors;
    const logits = tf.tensor2d(rows);
    const labelTensor = tf.tensor1d([-1, -1, -1, -1, -1], 'int32');
    const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => maskedSoftmaxCrossEntropy(z as tf.Tensor2D, labelTensor))(logits);
    expect(value.dataSync()[0]).toBe(0);
    expect(Array.from(grad.dataSync()).every((g) => g === 0)).toBe(true);
    tf.dispose([logits, labelTensor, value, grad]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a float label tensor', () => {
    const logits = tf.zeros([2, 3]) as tf.Tensor2D;
    const labelTensor = tf.tensor1d([0, 1]);
    expect(() => maskedSoftmaxCrossEntropy(logits, labelTensor)).toThrow(/maskedSoftmaxCrossEntropy: labels must be int32/);
    tf.dispose([logits, labelTensor]);
  });
});
