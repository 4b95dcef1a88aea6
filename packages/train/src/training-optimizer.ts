import { type Communicator, tf } from '@bigface/backend';
import { LARSOptimizer, ZeroLARSOptimizer, type LARSOptimizerOptions } from '@bigface/lars';

type NamedTensor = { name: string; tensor: tf.Tensor };

/** What the training loop and the checkpoints need of an optimizer. */
export interface TrainingOptimizer {
  setLearningRate(learningRate: number): void;
  /** Collective with ZeRO: every rank calls it at the same step. */
  applyGradients(gradients: NamedTensor[]): void;
  readonly iterations: number;
  /** `[iter, ...'<variable name>/momentum']` of every variable (collective with ZeRO); dispose the tensors. */
  getWeights(): Promise<NamedTensor[]>;
  setWeights(weights: NamedTensor[]): Promise<void>;
  dispose(): void;
}

/**
 * ZeRO stage 1 for the backbone: its LARS momentum is sharded across the data-parallel ranks
 * ({@link ZeroLARSOptimizer}: reduce-scatter the summed gradients, LARS on this rank's slice,
 * all-gather the weights), while the PartialFC centres, already sharded by class, keep a plain
 * {@link LARSOptimizer} of their own. State reads and writes in LARSOptimizer's format, so
 * checkpoints are the same with ZeRO on or off.
 */
export class ZeroTrainingOptimizer implements TrainingOptimizer {
  private readonly backbone: ZeroLARSOptimizer;
  private readonly head: LARSOptimizer;
  private readonly headName: string;

  constructor(options: {
    backboneVariables: readonly tf.Variable[];
    head: tf.Variable;
    communicator: Communicator;
    lars: Omit<LARSOptimizerOptions, 'reduceSquaredNorms' | 'updateRows'>;
    headOptions: Pick<LARSOptimizerOptions, 'reduceSquaredNorms' | 'updateRows'>;
  }) {
    this.backbone = new ZeroLARSOptimizer({ ...options.lars, variables: options.backboneVariables, communicator: options.communicator, gradientReduction: 'sum' });
    this.head = new LARSOptimizer({ ...options.lars, ...options.headOptions });
    this.headName = options.head.name;
  }

  /** Bytes of backbone optimizer state on this rank (≈ 4·parameters/W). */
  get backboneStateBytes(): number {
    return this.backbone.stateBytes;
  }

  get iterations(): number {
    return this.head.iterations;
  }

  setLearningRate(learningRate: number): void {
    this.backbone.setLearningRate(learningRate);
    this.head.setLearningRate(learningRate);
  }

  /** This rank's unreduced gradients (its contribution to the global batch's loss) of every variable. */
  applyGradients(gradients: NamedTensor[]): void {
    this.backbone.applyGradients(gradients.filter((entry) => entry.name !== this.headName));
    this.head.applyGradients(gradients.filter((entry) => entry.name === this.headName));
  }

  async getWeights(): Promise<NamedTensor[]> {
    const [iterations, ...backbone] = await this.backbone.getWeights();
    const [headIterations, ...head] = await this.head.getWeights();
    headIterations!.tensor.dispose();
    return [iterations!, ...backbone, ...head];
  }

  async setWeights(weights: NamedTensor[]): Promise<void> {
    const [iterations, ...states] = weights;
    const headState = `${this.headName}/momentum`;
    await this.backbone.setWeights([iterations!, ...states.filter((entry) => entry.name !== headState)]);
    await this.head.setWeights([iterations!, ...states.filter((entry) => entry.name === headState)]);
  }

  dispose(): void {
    this.backbone.dispose();
    this.head.dispose();
  }
}
