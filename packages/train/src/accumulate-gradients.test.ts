import { initBackend, Rng, tf } from '@bigface/backend';
import { LARSOptimizer } from '@bigface/lars';
import { cosFace } from '@bigface/margin-losses';
import { PartialFC } from '@bigface/partial-fc';
import { IResNet } from '@bigface/resnet-zoo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accumulateGradients, type MicroBatch } from './accumulate-gradients';

const BATCH = 8;
const SIZE = 16;
const EMBEDDING = 16;
let model: IResNet;
let head: PartialFC;
let images: Float32Array;
let teacherTable: tf.Tensor2D;
// Row 5 is unlabeled (−1): it adds only the distillation term, so micro-batches hold 4 and 3 labelled rows.
const labels = Int32Array.from([0, 1, 2, 3, 4, -1, 1, 2]);
const ids = Int32Array.from({ length: BATCH }, (_, i) => i);

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = IResNet.create({ layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: EMBEDDING, inputSize: SIZE }, { seed: 3 });
  head = new PartialFC({ numClasses: 6, embeddingSize: EMBEDDING, margin: cosFace({ s: 16, m: 0.2 }), seed: 4, name: 'micro_test_fc' });
  images = new Float32Array(BATCH * SIZE * SIZE * 3);
  new Rng(5).fillNormal(images, 0, 1);
  const table = new Float32Array(BATCH * EMBEDDING);
  new Rng(6).fillNormal(table, 0, 1);
  teacherTable = tf.tensor2d(table, [BATCH, EMBEDDING]);
});

afterAll(() => {
  model.dispose();
  head.dispose();
  teacherTable.dispose();
});

function split(parts: number): MicroBatch[] {
  const size = BATCH / parts;
  const pixels = SIZE * SIZE * 3;
  return Array.from({ length: parts }, (_, k) => ({
    images: tf.tensor4d(images.slice(k * size * pixels, (k + 1) * size * pixels), [size, SIZE, SIZE, 3]),
    labels: labels.slice(k * size, (k + 1) * size),
    ids: ids.slice(k * size, (k + 1) * size),
  }));
}

function gradientsOf(parts: number, training: boolean, checkpointing: 'none' | 'block' = 'none'): Float32Array[] {
  const microBatches = split(parts);
  const labelled = microBatches.map((m) => m.labels.filter((l) => l >= 0).length);
  const total = labelled.reduce((a, b) => a + b, 0);
  const result = accumulateGradients({
    model,
    head,
    variables: [...model.trainableVariables(), head.weight],
    microBatches,
    classificationScales: labelled.map((n) => n / total),
    distillationScales: microBatches.map((m) => m.labels.length / BATCH),
    teacher: (batch) => tf.gather(teacherTable, tf.tensor1d(batch.ids, 'int32')),
    lambda: 9,
    training,
    checkpointing,
  });
  tf.dispose(microBatches.map((m) => m.images));
  const values = result.gradients.map((g) => g.dataSync() as Float32Array);
  tf.dispose(result.gradients);
  return values;
}

function maxRelativeDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    let scale = 1e-6;
    for (let k = 0; k < x.length; k++) scale = Math.max(scale, Math.abs(y[k]!));
    for (let k = 0; k < x.length; k++) worst = Math.max(worst, Math.abs(x[k]! - y[k]!) / scale);
  });
  return worst;
}

describe('accumulateGradients', () => {
  it('two micro-batches give the large batch gradient (eval-mode BatchNorm: samples independent)', () => {
    // With eval-mode BN each embedding depends on its own image only, so the large batch's loss
    // (CE mean over 7 labelled rows + 9·mean distill over 8 rows) is exactly Σ_k (labelled_k/7)·CE_k
    // + 9·(4/8)·distill_k; the gradients differ only by float summation order.
    const whole = gradientsOf(1, false);
    const micro = gradientsOf(2, false);
    const fourWay = gradientsOf(4, false);
    expect(whole.length).toBe(model.trainableVariables().length + 1);
    expect(maxRelativeDifference(micro, whole)).toBeLessThan(1e-5);
    expect(maxRelativeDifference(fourWay, whole)).toBeLessThan(1e-5);
    // Training-mode BN normalises each micro-batch by its own statistics: not the same gradient.
    expect(maxRelativeDifference(gradientsOf(2, true), gradientsOf(1, true))).toBeGreaterThan(1e-3);
  });

  it('gives the same gradients with gradient checkpointing (recomputed blocks)', () => {
    expect(maxRelativeDifference(gradientsOf(2, true, 'block'), gradientsOf(2, true, 'none'))).toBeLessThan(1e-5);
  });

  it('leaks no tensor across a full step (gradients, LARS update)', () => {
    const variables = [...model.trainableVariables(), head.weight];
    const optimizer = new LARSOptimizer({ learningRate: 0.01 });
    const step = () => {
      const microBatches = split(2);
      const result = accumulateGradients({
        model,
        head,
        variables,
        microBatches,
        classificationScales: [4 / 7, 3 / 7],
        distillationScales: [0.5, 0.5],
        training: true,
      });
      tf.dispose(microBatches.map((m) => m.images));
      optimizer.applyGradients(variables.map((variable, i) => ({ name: variable.name, tensor: result.gradients[i]! })));
      tf.dispose(result.gradients);
    };
    step(); // creates the momentum slots
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
  });
});
