import { Rng, assertArgument, tf } from '@bigface/backend';

/** Options of {@link EmbeddingProjection}. */
export interface EmbeddingProjectionOptions {
  /** Student embedding size. */
  inputSize: number;
  /** Teacher embedding size. */
  outputSize: number;
  /** Seed of the N(0, 1/inputSize) initialisation; default 0. */
  seed?: number;
  /** Variable name prefix; default `distill_projection`. The matrix is `${name}.weight`. */
  name?: string;
}

/**
 * A learned linear map `student · W` ([B, Ds] → [B, Dt]) for distilling a teacher whose embedding
 * size differs from the student's. The BigFace recipe uses equal sizes (512) and no projection;
 * with one, the distillation loss compares the *projected* student with the teacher, `W` is
 * trained with the student (its variable is trainable: pass it to the optimizer with the
 * backbone), and the projection is dropped at deployment.
 *
 * @example
 * const projection = new EmbeddingProjection({ inputSize: 256, outputSize: 512 });
 * const loss = angularDistillationLoss(projection.apply(student(images)), teacherEmbeddings);
 */
export class EmbeddingProjection {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly name: string;
  /** [inputSize, outputSize]. */
  readonly weight: tf.Variable<tf.Rank.R2>;

  constructor(options: EmbeddingProjectionOptions) {
    const { inputSize, outputSize, seed = 0, name = 'distill_projection' } = options;
    for (const [key, value] of [
      ['inputSize', inputSize],
      ['outputSize', outputSize],
    ] as const) {
      assertArgument(
        Number.isInteger(value) && value > 0,
        'DISTILL_BAD_PROJECTION',
        () => `EmbeddingProjection: ${key} must be a positive integer, got ${value}`,
      );
    }
    this.inputSize = inputSize;
    this.outputSize = outputSize;
    this.name = name;
    const rng = new Rng(seed);
    const values = new Float32Array(inputSize * outputSize);
    const scale = 1 / Math.sqrt(inputSize);
    for (let index = 0; index < values.length; index += 1) values[index] = rng.normal() * scale;
    const initial = tf.tensor2d(values, [inputSize, outputSize]);
    this.weight = tf.variable(initial, true, `${name}.weight`);
    initial.dispose(); // the variable keeps the data
  }

  /** The projected student embeddings, [B, outputSize]. */
  apply(student: tf.Tensor2D): tf.Tensor2D {
    assertArgument(
      student.rank === 2 && student.shape[1] === this.inputSize,
      'DISTILL_BAD_SHAPE',
      () => `EmbeddingProjection.apply: student must be [B, ${this.inputSize}], got [${student.shape.join(', ')}]`,
    );
    return tf.matMul(student, this.weight);
  }

  /** Frees the variable. */
  dispose(): void {
    this.weight.dispose();
  }
}
