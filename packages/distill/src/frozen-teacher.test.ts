import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { bigFaceDistillObjective } from './big-face-distill-objective';
import { frozenTeacher } from './frozen-teacher';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('frozenTeacher', () => {
  it('runs the teacher in eval mode and off the tape: no gradient for its variables, zero for the images', () => {
    // Images 1×1×2; teacher embedding = pixels · W (W trainable, as a real backbone's weights are).
    const teacherWeight = tf.variable(
      tf.tensor2d([
        [1, 2, 0],
        [0, 1, -1],
      ]),
      true,
      'frozen-teacher-test.teacher',
    );
    const studentWeight = tf.variable(
      tf.tensor2d([
        [0.5, -1, 2],
        [1, 1, 0],
      ]),
      true,
      'frozen-teacher-test.student',
    );
    const modes: unknown[] = [];
    const teacher = frozenTeacher({
      forward: (images, options) => {
        modes.push(options);
        return tf.matMul(tf.reshape(images, [images.shape[0], 2]), teacherWeight) as tf.Tensor2D;
      },
    });
    const images = tf.tensor4d([1, 2, -1, 3], [2, 1, 1, 2]);
    const before = tf.memory().numTensors;

    // (1, 2)·W = (1, 4, −2); (−1, 3)·W = (−1, 1, −3).
    const direct = teacher(images);
    expect(direct.arraySync()).toEqual([
      [1, 4, -2],
      [-1, 1, -3],
    ]);
    direct.dispose();

    const { value, grads } = tf.variableGrads(() => {
      const student = tf.matMul(tf.reshape(images, [2, 2]), studentWeight) as tf.Tensor2D;
      return bigFaceDistillObjective({ classificationLoss: tf.scalar(0), student, teacher: teacher(images) }).loss;
    });
    expect(Object.keys(grads)).toEqual([studentWeight.name]);
    expect(modes).toEqual([{ training: false }, { training: false }]);

    const imageGradient = tf.grad((x: tf.Tensor) => tf.sum(teacher(x as tf.Tensor4D)))(images);
    expect(Array.from(imageGradient.dataSync())).toEqual([0, 0, 0, 0]);

    tf.dispose([value, imageGradient, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([images, teacherWeight, studentWeight]);
  });

  it('accepts a plain function and checks its output shape', () => {
    const images = tf.zeros([3, 1, 1, 2]) as tf.Tensor4D;
    expect(() => frozenTeacher((x) => tf.reshape(x, [2, 3]) as tf.Tensor2D)(images)).toThrow(
      /the teacher returned shape \[2, 3\] for 3 images; expected \[3, D\]/,
    );
    images.dispose();
  });
});
