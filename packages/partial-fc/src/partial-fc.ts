import { BigFaceError, Rng, SingleCommunicator, assertArgument, tf, type Communicator, type ParameterGroup } from '@bigface/backend';
import { cosFace, isTargetMargin, type MarginFunction, type TargetMargin } from '@bigface/margin-losses';
import { allGatherRows } from './all-gather-rows';
import type { CrossEntropyStatistics } from './distributed-cross-entropy';
import { distributedMarginCrossEntropy } from './distributed-margin-cross-entropy';
import { shardCosine } from './shard-cosine';
import { shardRange, type ShardRange } from './shard-range';

export interface PartialFCOptions {
  /** Number of identities C over all ranks. */
  numClasses: number;
  /** Embedding size D. */
  embeddingSize: number;
  /** Collectives between the ranks; default a single rank. */
  communicator?: Communicator;
  /**
   * Margin applied to the cosine logits of this shard; default CosFace s = 64, m = 0.4. It must be a
   * {@link TargetMargin} (cosFace, arcFace, combinedMargin): it changes each row's target logit only
   * and scales the others by one s, which is what lets PartialFC evaluate it on the target cosines
   * alone ({@link distributedMarginCrossEntropy}). A plain function is refused (INVALID_MARGIN).
   */
  margin?: TargetMargin;
  /**
   * Fraction of this shard's centres used per step (PartialFC sampling, An et al. 2021): all
   * centres of the global batch's labels plus seeded random negatives up to `sampleRate·C_r`.
   * Default 1 (no sampling), as the BigFace deck.
   */
  sampleRate?: number;
  /** Seed of the centre initialisation N(0, 0.01) and of negative sampling; default 0. */
  seed?: number;
  /** Variable name prefix; default `partial_fc`. The centres are `${name}.weight`. */
  name?: string;
}

/** Result of one {@link PartialFC.forward}. */
export interface PartialFCOutput extends CrossEntropyStatistics {
  /** Mean cross-entropy over labelled rows of the global batch: the same value on every rank. */
  loss: tf.Scalar;
}

/**
 * PartialFC: the class centres of a margin softmax classifier sharded across ranks, with a
 * distributed softmax so that no rank holds the C×D centres or the B×C logits (An et al.,
 * "Partial FC: Training 10 Million Identities on a Single Machine", 2021,
 * https://arxiv.org/abs/2010.05222; insightface partial_fc_v2.py).
 *
 * The loss is differentiable (tfjs autodiff) w.r.t. this rank's embeddings and its centre shard
 * `weight`, so a backbone's gradients flow through it; every rank must call `forward` with its own
 * part of the global batch at the same step.
 *
 * Memory: one forward + backward step peaks near 3× the shard's bytes (the centres, the gradient
 * built in row chunks, the concatenated gradient; {@link shardCosine}) plus about five
 * [B_global, C_r] logit-sized tensors ({@link distributedMarginCrossEntropy}).
 *
 * @example
 * const head = new PartialFC({ numClasses: 1000, embeddingSize: 512, communicator });
 * const { value, grads } = tf.variableGrads(() => head.forward(backbone(images), labels).loss);
 */
export class PartialFC {
  readonly numClasses: number;
  readonly embeddingSize: number;
  readonly communicator: Communicator;
  readonly margin: TargetMargin;
  readonly sampleRate: number;
  readonly seed: number;
  readonly name: string;
  /** The classes this rank owns. */
  readonly shard: ShardRange;
  /** This rank's class centres [shard.count, D] (not normalised; normalised in the forward pass). */
  readonly weight: tf.Variable<tf.Rank.R2>;
  private step = 0;
  private lastSampledRows: Int32Array | undefined;

  constructor(options: PartialFCOptions) {
    const { numClasses, embeddingSize } = options;
    assertArgument(
      Number.isInteger(numClasses) && numClasses > 0,
      'INVALID_ARGUMENT',
      () => `PartialFC: numClasses must be a positive integer, got ${numClasses}`,
    );
    assertArgument(
      Number.isInteger(embeddingSize) && embeddingSize > 0,
      'INVALID_ARGUMENT',
      () => `PartialFC: embeddingSize must be a positive integer, got ${embeddingSize}`,
    );
    const sampleRate = options.sampleRate ?? 1;
    assertArgument(sampleRate > 0 && sampleRate <= 1, 'INVALID_ARGUMENT', () => `PartialFC: sampleRate must be in (0, 1], got ${sampleRate}`);
    this.numClasses = numClasses;
    this.embeddingSize = embeddingSize;
    this.communicator = options.communicator ?? new SingleCommunicator();
    assertArgument(
      numClasses >= this.communicator.worldSize,
      'INVALID_ARGUMENT',
      () => `PartialFC: numClasses (${numClasses}) must be at least the world size (${this.communicator.worldSize}) so that every rank owns a class`,
    );
    const margin: MarginFunction = options.margin ?? cosFace({ s: 64, m: 0.4 });
    if (!isTargetMargin(margin)) {
      throw new BigFaceError(
        'INVALID_MARGIN',
        'PartialFC: margin must be a TargetMargin (cosFace, arcFace or combinedMargin of @bigface/margin-losses, or an object with scale and targetLogit): ' +
          "the sharded softmax applies it to each row's target cosine and scales the other logits by one s; a margin whose other logits depend on the row (AdaFace-like) is not supported",
      );
    }
    this.margin = margin;
    this.sampleRate = sampleRate;
    this.seed = options.seed ?? 0;
    this.name = options.name ?? 'partial_fc';
    this.shard = shardRange(numClasses, this.communicator.worldSize, this.communicator.rank);
    const initial = tf.tensor2d(initialCentres(this.seed, this.shard, embeddingSize), [this.shard.count, embeddingSize]);
    this.weight = tf.variable(initial, true, `${this.name}.weight`);
    initial.dispose(); // the variable keeps the data
  }

  /**
   * Loss and accuracy of this rank's embeddings [B_r, D] with their labels (−1 = unlabeled: the row
   * adds nothing to the loss). Collective: every rank calls it at the same step.
   */
  forward(embeddings: tf.Tensor2D, labels: Int32Array | readonly number[] | tf.Tensor1D): PartialFCOutput {
    assertArgument(
      embeddings.rank === 2 && embeddings.shape[1] === this.embeddingSize,
      'INVALID_ARGUMENT',
      () => `PartialFC.forward: embeddings must be [batch, ${this.embeddingSize}], got [${embeddings.shape.join(', ')}]`,
    );
    const localLabels = labels instanceof tf.Tensor ? Int32Array.from(labels.dataSync()) : Int32Array.from(labels);
    assertArgument(
      localLabels.length === embeddings.shape[0],
      'INVALID_ARGUMENT',
      () => `PartialFC.forward: ${localLabels.length} labels for ${embeddings.shape[0]} embeddings`,
    );
    for (const label of localLabels) {
      if (!(label === -1 || (label >= 0 && label < this.numClasses))) {
        throw new BigFaceError('INVALID_LABEL', `PartialFC.forward: label ${label} is outside [0, ${this.numClasses}) and is not -1 (unlabeled)`);
      }
    }
    const globalLabels = Int32Array.from(this.communicator.allGatherV(localLabels).data as Int32Array);
    const rows = globalLabels.length;
    const labelled = new Uint8Array(rows);
    const { columns, shardLabels } = this.selectColumns(globalLabels);
    this.lastSampledRows = columns;
    for (let i = 0; i < rows; i++) labelled[i] = (globalLabels[i] as number) >= 0 ? 1 : 0;
    let statistics: CrossEntropyStatistics = { labelledRows: 0, accuracy: 0 };
    const loss = tf.tidy(() => {
      const { rows } = allGatherRows(this.communicator, embeddings);
      const centres = columns === undefined ? this.weight : tf.gather(this.weight, tf.tensor1d(columns, 'int32'));
      const cosine = shardCosine(rows, centres as tf.Tensor2D);
      const { loss: value, ...rest } = distributedMarginCrossEntropy(this.communicator, cosine, this.margin, shardLabels, labelled);
      statistics = rest;
      return value;
    });
    this.step++;
    return { loss, ...statistics };
  }

  /**
   * The centre columns used this step and each row's target column among them (−1 when the
   * target is on another rank or the row is unlabeled). Without sampling: all columns.
   */
  private selectColumns(globalLabels: Int32Array): { columns: Int32Array | undefined; shardLabels: Int32Array } {
    const { start, count } = this.shard;
    const shardLabels = new Int32Array(globalLabels.length).fill(-1);
    const toLocal = (label: number) => (label >= start && label < start + count ? label - start : -1);
    if (this.sampleRate >= 1) {
      for (let i = 0; i < globalLabels.length; i++) shardLabels[i] = toLocal(globalLabels[i] as number);
      return { columns: undefined, shardLabels };
    }
    const positive = new Uint8Array(count);
    for (const label of globalLabels) {
      const local = toLocal(label);
      if (local >= 0) positive[local] = 1;
    }
    const wanted = Math.max(1, Math.round(this.sampleRate * count));
    const chosen: number[] = [];
    for (let c = 0; c < count; c++) if (positive[c]) chosen.push(c);
    if (chosen.length < wanted) {
      // Seeded per (seed, rank, step): negatives differ every step and are reproducible on resume.
      const rng = Rng.derive(this.seed, this.communicator.rank, this.step);
      const negatives: number[] = [];
      for (let c = 0; c < count; c++) if (!positive[c]) negatives.push(c);
      // Partial Fisher–Yates: the first (wanted − positives) entries are a uniform sample.
      const need = Math.min(wanted - chosen.length, negatives.length);
      for (let i = 0; i < need; i++) {
        const j = i + rng.int(negatives.length - i);
        const tmp = negatives[i] as number;
        negatives[i] = negatives[j] as number;
        negatives[j] = tmp;
      }
      chosen.push(...negatives.slice(0, need));
    }
    chosen.sort((a, b) => a - b);
    const position = new Int32Array(count).fill(-1);
    chosen.forEach((c, i) => {
      position[c] = i;
    });
    for (let i = 0; i < globalLabels.length; i++) {
      const local = toLocal(globalLabels[i] as number);
      shardLabels[i] = local >= 0 ? (position[local] as number) : -1;
    }
    return { columns: Int32Array.from(chosen), shardLabels };
  }

  /**
   * The rows of `weight` used by the last `forward` (sorted), or `undefined` without sampling.
   * Give it to the optimizer so that only these centres and their momentum change:
   * `new LARSOptimizer({ updateRows: (v) => (v === head.weight ? head.sampledRows : undefined) })`.
   */
  get sampledRows(): Int32Array | undefined {
    return this.lastSampledRows;
  }

  /**
   * The centres as a model-parallel group: `sharded` (this rank's rows of the C×D matrix; LARS's
   * norms are summed over the ranks), updating only {@link sampledRows} when sampling.
   */
  parameterGroup(): ParameterGroup {
    return {
      name: this.name,
      variables: [this.weight],
      placement: 'sharded',
      updateRows: (variable) => (variable === this.weight ? this.lastSampledRows : undefined),
    };
  }

  /** Step counter used to seed negative sampling (saved in checkpoints for exact resume). */
  get currentStep(): number {
    return this.step;
  }

  set currentStep(value: number) {
    this.step = value;
  }

  /** Frees the centre variable. */
  dispose(): void {
    this.weight.dispose();
  }
}

/** N(0, 0.01) centres, each class from its own stream so the initialisation does not depend on the world size. */
function initialCentres(seed: number, shard: ShardRange, embeddingSize: number): Float32Array {
  const values = new Float32Array(shard.count * embeddingSize);
  for (let c = 0; c < shard.count; c++) {
    Rng.derive(seed, 0x70fc, shard.start + c).fillNormal(values.subarray(c * embeddingSize, (c + 1) * embeddingSize), 0, 0.01);
  }
  return values;
}
