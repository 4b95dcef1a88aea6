import { BigFaceError, fromBfloat16, toBfloat16, type Communicator, type ParameterGroup, tf } from '@bigface/backend';
import { LARSOptimizer, ZeroLARSOptimizer, type LARSOptimizerOptions } from '@bigface/lars';

/** A tensor with the name it is saved under. */
export type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * What the trainer needs of an optimizer: it takes this rank's gradient contributions and owns every
 * cross-rank reduction the parameter groups call for (the all-reduce of replicated gradients, the
 * reduce-scatter of ZeRO, the whole-matrix norms of sharded centres), so the loop never does.
 */
export interface TrainingOptimizer {
  /** The groups it updates, in the order `step` takes their gradients. */
  readonly groups: readonly ParameterGroup[];
  /**
   * One update (collective: every rank calls it at the same step). `gradients` are this rank's
   * contributions, one per variable of `groups` in order (for a replicated group: the gradient of
   * this rank's share of the global batch's loss). The caller keeps ownership of them.
   */
  step(gradients: readonly tf.Tensor[], learningRate: number): void;
  readonly iterations: number;
  /** `[iter, ...'<variable name>/momentum']` of every variable (collective with ZeRO): new tensors, the caller disposes them. */
  getWeights(): Promise<NamedTensor[]>;
  /**
   * Restores `[iter, ...momenta]`: one momentum per variable of the groups, or none at all (a fresh
   * optimizer). A state of no variable, or a partial set, is an error naming them (STATE_MISMATCH).
   */
  setWeights(weights: NamedTensor[]): Promise<void>;
  dispose(): void;
}

/** Options of {@link createTrainingOptimizer}. */
export interface TrainingOptimizerOptions {
  groups: readonly ParameterGroup[];
  communicator: Communicator;
  /** LARS hyperparameters (the learning rate is given to each `step`). */
  lars: Omit<LARSOptimizerOptions, 'learningRate' | 'reduceSquaredNorms' | 'updateRows'> & { learningRate?: number };
  /** ZeRO stage: 0 (every rank holds the whole optimizer state) or 1 (replicated groups' state sharded ≈ 1/W). Default 0. */
  zero?: 0 | 1;
  /**
   * How replicated gradients cross between ranks: `'fp32'` (default) or `'bf16'` (half the bytes:
   * rounded to bfloat16 on each rank, summed in float32 in rank order, rounded once) — with
   * `precision: 'bf16'` training.
   */
  gradientExchange?: 'fp32' | 'bf16';
}

/**
 * LARS over data-parallel and model-parallel parameter groups: the training step's optimizer.
 * Replicated groups (the backbone) get their gradients summed across ranks — one flat all-reduce
 * (ZeRO 0) or a reduce-scatter with the momentum sharded across ranks (ZeRO 1,
 * {@link ZeroLARSOptimizer}); sharded groups (PartialFC's centres) update locally with LARS norms of
 * the whole matrix (an all-reduce of two squared norms) and only their sampled rows.
 *
 * @example
 * const optimizer = createTrainingOptimizer({
 *   groups: [backbone.parameterGroup(), head.parameterGroup()],
 *   communicator,
 *   lars: { momentum: 0.9, weightDecay: 5e-4, eta: 0.001 },
 * });
 * optimizer.step(gradients, 0.01);
 */
export function createTrainingOptimizer(options: TrainingOptimizerOptions): TrainingOptimizer {
  const { groups } = options;
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new BigFaceError(
      'INVALID_ARGUMENT',
      'createTrainingOptimizer: give at least one parameter group, e.g. [backbone.parameterGroup(), head.parameterGroup()]',
    );
  }
  return options.zero === 1 ? new ZeroTrainingOptimizer(options) : new DataParallelOptimizer(options);
}

/** LARSOptimizer options that make a sharded group's norms those of the whole matrix and update only its sampled rows. */
function shardedOptions(groups: readonly ParameterGroup[], communicator: Communicator): Pick<LARSOptimizerOptions, 'reduceSquaredNorms' | 'updateRows'> {
  const sharded = new Set(groups.filter((group) => group.placement === 'sharded').flatMap((group) => group.variables));
  const rowsOf = new Map<tf.Variable, NonNullable<ParameterGroup['updateRows']>>();
  for (const group of groups) if (group.updateRows) for (const variable of group.variables) rowsOf.set(variable, group.updateRows);
  return {
    // Undefined at W = 1: the norms stay on the device (the same arithmetic as plain LARS).
    reduceSquaredNorms:
      communicator.worldSize > 1 ? (variable, squared) => (sharded.has(variable) ? communicator.allReduce(squared, 'sum') : squared) : undefined,
    updateRows: rowsOf.size > 0 ? (variable) => rowsOf.get(variable)?.(variable) : undefined,
  };
}

/** LARSOptimizer's state as new tensors (its getWeights returns the live momentum variables). */
async function copiedWeights(lars: LARSOptimizer): Promise<NamedTensor[]> {
  const [iterations, ...states] = await lars.getWeights();
  return [iterations!, ...states.map((entry) => ({ name: entry.name, tensor: entry.tensor.clone() }))];
}

/** Every state names a variable of the groups, and every variable has one (or no variable has any). */
function checkStates(groups: readonly ParameterGroup[], weights: NamedTensor[]): void {
  const expected = new Set(groups.flatMap((group) => group.variables).map((variable) => `${variable.name}/momentum`));
  const given = weights.slice(1).map((entry) => entry.name);
  const unknown = given.filter((name) => !expected.has(name));
  const missing = given.length === 0 ? [] : [...expected].filter((name) => !given.includes(name));
  if (unknown.length > 0 || missing.length > 0) {
    const list = (names: string[]) => `${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}`;
    throw new BigFaceError(
      'STATE_MISMATCH',
      `TrainingOptimizer.setWeights: ${[unknown.length > 0 ? `${unknown.length} state(s) of no variable of the groups (${list(unknown)})` : '', missing.length > 0 ? `no momentum for ${missing.length} variable(s) (${list(missing)})` : ''].filter(Boolean).join('; ')}; ` +
        'give one momentum per variable (or none, to start from zero)',
    );
  }
}

function checkGradients(groups: readonly ParameterGroup[], gradients: readonly tf.Tensor[]): tf.Variable[] {
  const variables = groups.flatMap((group) => group.variables);
  if (gradients.length !== variables.length) {
    throw new BigFaceError(
      'INVALID_ARGUMENT',
      `TrainingOptimizer.step: ${gradients.length} gradients for ${variables.length} variables of the groups ${groups.map((g) => g.name).join(', ')}`,
    );
  }
  return variables;
}

/** ZeRO 0: the replicated gradients are summed with one flat all-reduce, then LARS updates everything. */
class DataParallelOptimizer implements TrainingOptimizer {
  readonly groups: readonly ParameterGroup[];
  private readonly communicator: Communicator;
  private readonly lars: LARSOptimizer;
  private readonly gradientExchange: 'fp32' | 'bf16';

  constructor(options: TrainingOptimizerOptions) {
    this.groups = options.groups;
    this.communicator = options.communicator;
    this.gradientExchange = options.gradientExchange ?? 'fp32';
    this.lars = new LARSOptimizer({ learningRate: 0, ...options.lars, ...shardedOptions(options.groups, options.communicator) });
  }

  get iterations(): number {
    return this.lars.iterations;
  }

  step(gradients: readonly tf.Tensor[], learningRate: number): void {
    const variables = checkGradients(this.groups, gradients);
    const replicated = new Set(this.groups.filter((group) => group.placement === 'replicated').flatMap((group) => group.variables));
    let applied = [...gradients];
    const summed: tf.Tensor[] = [];
    if (this.communicator.worldSize > 1 && replicated.size > 0) {
      // Sum the replicated gradients over ranks in one flat buffer: the global batch's gradient.
      const indices = variables.flatMap((variable, i) => (replicated.has(variable) ? [i] : []));
      const flat = new Float32Array(indices.reduce((n, i) => n + gradients[i]!.size, 0));
      let offset = 0;
      for (const i of indices) {
        flat.set(gradients[i]!.dataSync() as Float32Array, offset);
        offset += gradients[i]!.size;
      }
      const total =
        this.gradientExchange === 'bf16' ? fromBfloat16(this.communicator.allReduce(toBfloat16(flat), 'sum')) : this.communicator.allReduce(flat, 'sum');
      offset = 0;
      applied = gradients.map((gradient, i) => {
        if (!replicated.has(variables[i]!)) return gradient;
        const tensor = tf.tensor(total.subarray(offset, offset + gradient.size), gradient.shape, 'float32');
        offset += gradient.size;
        summed.push(tensor);
        return tensor;
      });
    }
    try {
      this.lars.setLearningRate(learningRate);
      this.lars.applyGradients(variables.map((variable, i) => ({ name: variable.name, tensor: applied[i]! })));
    } finally {
      tf.dispose(summed);
    }
  }

  getWeights(): Promise<NamedTensor[]> {
    return copiedWeights(this.lars);
  }

  async setWeights(weights: NamedTensor[]): Promise<void> {
    checkStates(this.groups, weights);
    await this.lars.setWeights(weights);
  }

  dispose(): void {
    this.lars.dispose();
  }
}

/**
 * ZeRO stage 1: the replicated groups' LARS momentum is sharded across the data-parallel ranks
 * ({@link ZeroLARSOptimizer}: reduce-scatter the gradient contributions, LARS on this rank's slice,
 * all-gather the weights), while sharded groups (PartialFC's centres, already split by class) keep
 * a plain {@link LARSOptimizer} of their own. State reads and writes in LARSOptimizer's format, so
 * checkpoints are the same with ZeRO on or off.
 */
export class ZeroTrainingOptimizer implements TrainingOptimizer {
  readonly groups: readonly ParameterGroup[];
  private readonly replicated: ZeroLARSOptimizer;
  private readonly sharded: LARSOptimizer;
  private readonly shardedStates: Set<string>;

  constructor(options: TrainingOptimizerOptions) {
    this.groups = options.groups;
    const replicated = options.groups.filter((group) => group.placement === 'replicated').flatMap((group) => group.variables);
    const sharded = options.groups.filter((group) => group.placement === 'sharded');
    const lars = { learningRate: 0, ...options.lars };
    this.replicated = new ZeroLARSOptimizer({
      ...lars,
      variables: replicated,
      communicator: options.communicator,
      gradientReduction: 'sum',
      gradientExchange: options.gradientExchange ?? 'fp32',
    });
    this.sharded = new LARSOptimizer({ ...lars, ...shardedOptions(sharded, options.communicator) });
    this.shardedStates = new Set(sharded.flatMap((group) => group.variables).map((variable) => `${variable.name}/momentum`));
  }

  /** Bytes of replicated-group optimizer state on this rank (≈ 4·parameters/W). */
  get backboneStateBytes(): number {
    return this.replicated.stateBytes;
  }

  get iterations(): number {
    return this.sharded.iterations;
  }

  step(gradients: readonly tf.Tensor[], learningRate: number): void {
    const variables = checkGradients(this.groups, gradients);
    const named = variables.map((variable, i) => ({ name: variable.name, tensor: gradients[i]!, state: `${variable.name}/momentum` }));
    this.replicated.setLearningRate(learningRate);
    this.sharded.setLearningRate(learningRate);
    this.replicated.applyGradients(named.filter((entry) => !this.shardedStates.has(entry.state)));
    this.sharded.applyGradients(named.filter((entry) => this.shardedStates.has(entry.state)));
  }

  async getWeights(): Promise<NamedTensor[]> {
    const [iterations, ...replicated] = await this.replicated.getWeights();
    const [shardedIterations, ...sharded] = await copiedWeights(this.sharded);
    shardedIterations!.tensor.dispose();
    return [iterations!, ...replicated, ...sharded];
  }

  async setWeights(weights: NamedTensor[]): Promise<void> {
    checkStates(this.groups, weights);
    const [iterations, ...states] = weights;
    // A fresh state (no momenta) leaves the replicated slices at zero.
    await this.replicated.setWeights([iterations!, ...states.filter((entry) => !this.shardedStates.has(entry.name))], { partial: states.length === 0 });
    await this.sharded.setWeights([iterations!, ...states.filter((entry) => this.shardedStates.has(entry.name))]);
  }

  dispose(): void {
    this.replicated.dispose();
    this.sharded.dispose();
  }
}
