// Distillation with real backbones: tiny @bigface/resnet-zoo IResNets as teacher and student
// (layers [1, 1, 1, 1], 16×16 inputs, 8-d embeddings), instead of hand-made tfjs functions.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '@bigface/backend';
import { cosFace, maskedSoftmaxCrossEntropy, normalizedCosine } from '@bigface/margin-losses';
import { IResNet } from '@bigface/resnet-zoo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigFaceDistillObjective } from '../src/big-face-distill-objective';
import { frozenTeacher } from '../src/frozen-teacher';
import { TeacherEmbeddingCache, type TeacherCacheBatch } from '../src/teacher-embedding-cache';

const embeddingSize = 8;
const architecture = (widthMultiplier: number) => ({ layers: [1, 1, 1, 1], widthMultiplier, embeddingSize, inputSize: 16 });
let teacherModel: IResNet;
let studentModel: IResNet;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  teacherModel = IResNet.create(architecture(0.25), { seed: 1 }); // widths 16-128
  studentModel = IResNet.create(architecture(0.125), { seed: 2 }); // widths 8-64
});

afterAll(() => {
  teacherModel.dispose();
  studentModel.dispose();
});

function snapshot(model: IResNet): Map<string, Float32Array> {
  return new Map([...model.variables].map(([name, variable]) => [name, Float32Array.from(variable.dataSync() as Float32Array)]));
}

describe('distillation with @bigface/resnet-zoo backbones', () => {
  it('frozenTeacher over an IResNet: eval-mode outputs, no gradient and no update for any teacher variable', () => {
    const images = tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const labels = tf.tensor1d([0, -1, 2, 1], 'int32');
    const centres = tf.randomNormal([3, embeddingSize], 0, 1, 'float32', 4) as tf.Tensor2D;
    const teacher = frozenTeacher(teacherModel);
    const teacherBefore = snapshot(teacherModel);
    const studentBefore = snapshot(studentModel);
    const before = tf.memory().numTensors;

    const live = teacher(images);
    const evalMode = teacherModel.forward(images, { training: false });
    expect(Array.from(live.dataSync())).toEqual(Array.from(evalMode.dataSync()));
    tf.dispose([live, evalMode]);

    const objective = () => {
      const student = studentModel.forward(images, { training: true });
      const classificationLoss = maskedSoftmaxCrossEntropy(cosFace()(normalizedCosine(student, centres), labels), labels);
      return bigFaceDistillObjective({ classificationLoss, student, teacher: teacher(images) }).loss;
    };
    const { value, grads } = tf.variableGrads(objective);
    const studentNames = studentModel
      .trainableVariables()
      .map((variable) => variable.name)
      .sort();
    expect(Object.keys(grads).sort()).toEqual(studentNames); // every student weight, no teacher weight
    tf.dispose([value, ...Object.values(grads)]);

    // An optimizer over every trainable variable in the engine moves the student only.
    const optimizer = tf.train.sgd(0.1);
    optimizer.minimize(objective);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (const [name, values] of snapshot(teacherModel)) expect(values, name).toEqual(teacherBefore.get(name));
    const moved = [...snapshot(studentModel)].filter(([name, values]) => values.some((v, k) => v !== studentBefore.get(name)![k]));
    expect(moved.length).toBeGreaterThan(studentNames.length / 2);
    for (const [name, values] of studentBefore) studentModel.variables.get(name)!.assign(tf.tensor(values, studentModel.variables.get(name)!.shape));
    tf.dispose([images, labels, centres]);
  });

  it('the objective through an IResNet student matches central finite differences on its weights', () => {
    const images = tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const labels = tf.tensor1d([1, -1, 0, -1], 'int32'); // two unlabeled rows: distillation only
    const centres = tf.randomNormal([3, embeddingSize], 0, 1, 'float32', 6) as tf.Tensor2D;
    const targets = frozenTeacher(teacherModel)(images);
    // s = 16 (not 64) keeps float32 rounding of the loss below the finite-difference signal.
    const margin = cosFace({ s: 16 });
    const loss = (): tf.Scalar =>
      tf.tidy(() => {
        const student = studentModel.forward(images, { training: true });
        const classificationLoss = maskedSoftmaxCrossEntropy(margin(normalizedCosine(student, centres), labels), labels);
        return bigFaceDistillObjective({ classificationLoss, student, teacher: targets }).loss;
      });
    // Weights from stage 2 on: in a freshly initialised IResNet the stem and stage-1 convs sit under
    // many PReLU kinks and batch-statistics BNs, and their finite differences do not settle in float32
    // as h shrinks (measured: conv1 gave −33.6, −7.9, 14.8, 18.9 at h = 1e-2 … 3e-4); deeper ones do.
    const checked = [
      'layer2.0.bn2.weight',
      'layer3.0.conv2.weight',
      'layer3.0.prelu.weight',
      'layer4.0.conv2.weight',
      'layer4.0.bn2.bias',
      'fc.weight',
      'features.bias',
    ];
    const variables = checked.map((name) => studentModel.variables.get(name)!);
    const { value, grads } = tf.variableGrads(loss, variables);
    value.dispose();
    const evaluate = (): number => {
      const scalar = loss();
      const result = scalar.dataSync()[0]!;
      scalar.dispose();
      return result;
    };
    // Directional derivatives: along a random direction d of each weight tensor, <∇L, d> against a
    // fourth-order central difference (−f(2h) + 8f(h) − 8f(−h) + f(−2h)) / 12h of f(h) = L(w + h·d).
    // A whole-tensor direction gives a change of the loss well above float32 rounding, which a
    // single weight of a deep BN network does not (its finite difference is mostly rounding noise).
    const epsilon = 1e-3;
    const report: string[] = [];
    checked.forEach((name, k) => {
      const variable = studentModel.variables.get(name)!;
      const original = tf.clone(variable);
      const direction = tf.randomNormal(variable.shape, 0, 1, 'float32', 100 + k);
      const along = (h: number): number => {
        tf.tidy(() => variable.assign(tf.add(original, tf.mul(direction, h))));
        return evaluate();
      };
      const numeric = (-along(2 * epsilon) + 8 * along(epsilon) - 8 * along(-epsilon) + along(-2 * epsilon)) / (12 * epsilon);
      variable.assign(original);
      const analytic = tf.tidy(() => tf.sum(tf.mul(grads[variable.name]!, direction)).dataSync()[0]!);
      report.push(
        `${name}: analytic ${analytic.toExponential(4)}, numeric ${numeric.toExponential(4)}, relative error ${(Math.abs(analytic - numeric) / Math.abs(numeric)).toExponential(2)}`,
      );
      tf.dispose([original, direction]);
    });
    for (const line of report) expect(Number(line.split('relative error ')[1]), report.join('\n')).toBeLessThanOrEqual(2e-2); // measured: 1e-5 … 1.3e-2 (seeded, deterministic)
    tf.dispose([images, labels, centres, targets, ...Object.values(grads)]);
  });

  it('a cache built from an IResNet teacher returns the live teacher embeddings', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bigface-zoo-cache-')), 'r-tiny.safetensors');
    const images = tf.randomNormal([8, 16, 16, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const ids = [17, 10, 11, 16, 12, 15, 13, 14];
    function* dataset(): Generator<TeacherCacheBatch> {
      for (const [start, size] of [
        [0, 3],
        [3, 3],
        [6, 2],
      ] as const) {
        yield { ids: ids.slice(start, start + size), images: tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]) };
      }
    }
    const teacher = frozenTeacher(teacherModel);
    const before = tf.memory().numTensors;
    (await TeacherEmbeddingCache.build({ teacher, dataset: dataset(), path, teacherName: 'iresnet-tiny' })).close();
    const cache = TeacherEmbeddingCache.load(path, { expectedCount: 8, expectedEmbeddingSize: embeddingSize, ids, teacherName: 'iresnet-tiny' });
    const query = [14, 10, 17, 13];
    const cached = cache.lookup(query);
    const live = tf.tidy(() =>
      tf.gather(
        teacher(images),
        query.map((id) => ids.indexOf(id)),
      ),
    );
    const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(cached, live))).dataSync()[0]!);
    // The cache ran the teacher in batches of 3, 3, 2 and the live call in one batch of 8: native
    // (oneDNN) kernels may sum in a batch-size-dependent order (seen 1.8e-6), so float32 noise only.
    expect(difference).toBeLessThanOrEqual(1e-5);
    tf.dispose([cached, live]);
    cache.close();
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
  });
});
