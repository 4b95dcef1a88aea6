import { BigFaceError, FUSED_KERNELS, assertArgument, hasFusedKernel, tf } from '@bigface/backend';
import { LARSHyperparameterOptimizer, MOMENTUM_SUFFIX, excludeRankAtMostOne } from './lars-hyperparameters';
import { squaredNorm } from './squared-norm';

export { excludeRankAtMostOne };

/** Decides which variables get plain momentum SGD (no weight decay, no trust ratio). */
export type LARSExcludePredicate = (variable: tf.Variable) => boolean;

export interface LARSOptimizerOptions {
  /** Global learning rate; change it per step with `setLearningRate` (see the schedules). */
  learningRate: number;
  /** Momentum. Default 0.9. */
  momentum?: number;
  /** L2 weight decay, added to the gradient of non-excluded variables. Default 5e-4. */
  weightDecay?: number;
  /** Trust coefficient η. Default 0.001. */
  eta?: number;
  /** Added to the trust ratio's denominator. Default 1e-8. */
  epsilon?: number;
  /**
   * Variables for which LARS is off. Default: rank ≤ 1 (BatchNorm scale/shift, biases, PReLU
   * slopes), as is usual for LARS. A custom predicate is not part of `getConfig()`: pass it again
   * when restoring.
   */
  exclude?: LARSExcludePredicate;
  /**
   * For parameters sharded across ranks (PartialFC's class centres, ZeRO slices): receives this
   * rank's squared norms `[|w|², |g|²]` of a (non-excluded) variable and returns the squared norms
   * of the whole parameter, so that the trust ratio is the one unsharded training would use —
   * typically an all-reduce SUM for the sharded variables and the identity for the rest. Called
   * for every non-excluded variable in `applyGradients` order, which is the same on every rank.
   *
   * @example
   * reduceSquaredNorms: (variable, squared) => variable === head.weight ? communicator.allReduce(squared, 'sum') : squared
   */
  reduceSquaredNorms?: (variable: tf.Variable, squaredNorms: Float32Array) => Float32Array;
  /**
   * Row-sparse updates: for a variable where it returns row indices (of the first axis), only
   * those rows of the variable and of its momentum take part in the step (norms included) and
   * change; the other rows keep their values and momentum. For PartialFC sampling:
   *
   * @example
   * updateRows: (variable) => (variable === head.weight ? head.sampledRows : undefined)
   */
  updateRows?: (variable: tf.Variable) => Int32Array | readonly number[] | undefined;
}

/** A tensor with the name it is saved under (tfjs-core's NamedTensor, which its index does not export). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

interface StateVariable {
  originalName: string;
  variable: tf.Variable;
}

/**
 * LARS, layer-wise adaptive rate scaling ([You, Gitman & Ginsburg 2017](https://arxiv.org/abs/1708.03888)),
 * as in [torchlars](https://github.com/kakaobrain/torchlars) (Kakao Brain) around momentum SGD.
 * For each variable w with gradient g:
 *
 * ```
 * trust = η·|w| / (|g| + wd·|w| + ε)   (1 when |w| = 0 or |g| = 0)
 * d     = trust · (g + wd·w)           (excluded variables: d = g)
 * v     = momentum · v + d
 * w     = w − lr · v
 * ```
 *
 * Norms are whole-tensor L2 norms, computed on the device (no read-back). A tfjs `Optimizer`:
 * use it with `minimize` or `applyGradients`, serialise it with `getConfig`/`fromConfig`
 * (registered as `LARS`), and save/restore its state with `getWeights`/`setWeights`; the state of
 * variable `name` is `${name}/momentum`.
 *
 * @example
 * const optimizer = new LARSOptimizer({ learningRate: 0.1 });
 * const schedule = linearWarmup(multiStepSchedule({ base: 0.1, milestones: [1000, 2000] }), { warmupSteps: 100 });
 * for (let step = 0; step < 3000; step++) {
 *   optimizer.setLearningRate(schedule(step));
 *   optimizer.minimize(() => loss(model, batch(step)));
 * }
 */
export class LARSOptimizer extends LARSHyperparameterOptimizer {
  /** @nocollapse */
  static get className(): string {
    // The name in the serialization registry, like tfjs's 'SGD', 'Momentum', 'Adam'.
    return 'LARS';
  }

  readonly reduceSquaredNorms: LARSOptimizerOptions['reduceSquaredNorms'];
  readonly updateRows: LARSOptimizerOptions['updateRows'];
  private readonly accumulations = new Map<string, StateVariable>();

  constructor(options: LARSOptimizerOptions) {
    super('LARSOptimizer', options, 'new LARSOptimizer({ learningRate: 0.1 })');
    this.reduceSquaredNorms = options.reduceSquaredNorms;
    this.updateRows = options.updateRows;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: Array<[string, tf.Tensor | undefined]> = Array.isArray(variableGradients)
      ? variableGradients.map((item) => [item.name, item.tensor])
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    for (const [name, gradient] of entries) {
      const value = registered[name];
      if (value === undefined) {
        throw new BigFaceError('UNKNOWN_VARIABLE', `LARSOptimizer.applyGradients: no variable named '${name}' is registered`);
      }
      if (gradient == null) continue;
      assertArgument(
        tf.util.arraysEqual(gradient.shape, value.shape),
        'INVALID_SHAPE',
        () => `LARSOptimizer.applyGradients: gradient of '${name}' has shape [${gradient.shape}], the variable [${value.shape}]`,
      );
      const accumulation = this.accumulationOf(name, value);
      const excluded = this.exclude(value);
      const rows = this.updateRows?.(value);
      if (rows === undefined && value.dtype === 'float32' && hasFusedKernel(FUSED_KERNELS.larsApply) && hasFusedKernel(FUSED_KERNELS.squaredNorms)) {
        this.fusedStep(value, gradient, accumulation, excluded);
        continue;
      }
      tf.tidy(() => {
        // Row-sparse update (PartialFC sampling): only the given rows of the weight and of its
        // momentum take part and change; the others keep their values and momentum.
        const rowIndices = rows === undefined ? undefined : tf.tensor1d(Int32Array.from(rows), 'int32');
        const w: tf.Tensor = rowIndices ? tf.gather(value, rowIndices) : value;
        const g: tf.Tensor = rowIndices ? tf.gather(gradient, rowIndices) : gradient;
        const a: tf.Tensor = rowIndices ? tf.gather(accumulation, rowIndices) : accumulation;
        // Memory: each step below is its own tidy, so that its full-size temporaries die before the
        // next one (a PartialFC shard of C_r×D centres peaks near 6 shards instead of ~13); the
        // arithmetic, and so every bit of the result, is the same.
        const update: tf.Tensor = excluded
          ? g
          : tf.tidy(() => {
              const squaredWeight = squaredNorm(w);
              const squaredGradient = squaredNorm(g);
              let weightNorm: tf.Tensor;
              let gradientNorm: tf.Tensor;
              if (this.reduceSquaredNorms) {
                const local = new Float32Array([squaredWeight.dataSync()[0] as number, squaredGradient.dataSync()[0] as number]);
                const global = this.reduceSquaredNorms(value, local);
                weightNorm = tf.scalar(Math.sqrt(global[0] as number));
                gradientNorm = tf.scalar(Math.sqrt(global[1] as number));
              } else {
                weightNorm = tf.sqrt(squaredWeight);
                gradientNorm = tf.sqrt(squaredGradient);
              }
              const ratio = tf.div(tf.mul(this.eta, weightNorm), tf.add(tf.add(gradientNorm, tf.mul(this.weightDecay, weightNorm)), this.epsilon));
              // torchlars: a zero weight (fresh init) or a zero gradient keeps the plain step.
              const bothPositive = tf.logicalAnd(tf.greater(weightNorm, 0), tf.greater(gradientNorm, 0));
              const trust = tf.where(bothPositive, ratio, tf.onesLike(ratio));
              return tf.mul(
                trust,
                tf.tidy(() => tf.add(g, tf.mul(this.weightDecay, w))),
              );
            });
        const newAccumulation = tf.tidy(() => tf.add(tf.mul(this.momentum, a), update));
        if (update !== g) update.dispose();
        if (rowIndices) {
          const newValue = tf.tidy(() => tf.sub(w, tf.mul(this.learningRate, newAccumulation)));
          const scatterIndices = tf.reshape(rowIndices, [-1, 1]);
          accumulation.assign(tf.tensorScatterUpdate(accumulation, scatterIndices, newAccumulation));
          value.assign(tf.tensorScatterUpdate(value, scatterIndices, newValue));
        } else {
          // The old momentum goes before the new weight is made.
          accumulation.assign(newAccumulation);
          value.assign(tf.tidy(() => tf.sub(w, tf.mul(this.learningRate, newAccumulation))));
        }
      });
    }
    this.incrementIterations();
  }

  /**
   * The same step through the backend's fused kernels (one pass for the two squared norms, one for
   * the update and the momentum) where the backend has them: the cpu backend with native kernels.
   */
  private fusedStep(value: tf.Variable, gradient: tf.Tensor, accumulation: tf.Variable, excluded: boolean): void {
    let weightNorm = 0;
    let gradientNorm = 0;
    if (!excluded) {
      const local = tf.tidy(() => (tf.engine().runKernel(FUSED_KERNELS.squaredNorms, { w: value, g: gradient }) as tf.Tensor).dataSync() as Float32Array);
      const global = this.reduceSquaredNorms ? this.reduceSquaredNorms(value, Float32Array.from(local)) : local;
      weightNorm = Math.sqrt(global[0] as number);
      gradientNorm = Math.sqrt(global[1] as number);
    }
    const [nextWeight, nextMomentum] = tf.engine().runKernel(
      FUSED_KERNELS.larsApply,
      { w: value, g: gradient, m: accumulation },
      {
        learningRate: this.learningRate,
        momentum: this.momentum,
        weightDecay: this.weightDecay,
        eta: this.eta,
        epsilon: this.epsilon,
        weightNorm,
        gradientNorm,
        excluded,
      },
    ) as unknown as tf.Tensor[];
    // The old momentum goes before the new weight is made (assign disposes the replaced data).
    accumulation.assign(nextMomentum!);
    value.assign(nextWeight!);
    tf.dispose([nextMomentum!, nextWeight!]);
  }

  private accumulationOf(name: string, value: tf.Variable): tf.Variable {
    let state = this.accumulations.get(name);
    if (state === undefined) {
      state = { originalName: `${name}${MOMENTUM_SUFFIX}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      this.accumulations.set(name, state);
    }
    assertArgument(
      tf.util.arraysEqual(state.variable.shape, value.shape),
      'INVALID_SHAPE',
      () => `LARSOptimizer: restored state '${state.originalName}' has shape [${state.variable.shape}], the variable [${value.shape}]`,
    );
    return state.variable;
  }

  override dispose(): void {
    super.dispose();
    for (const state of this.accumulations.values()) state.variable.dispose();
    this.accumulations.clear();
  }

  /**
   * The iteration count (`iter`, int32, a new tensor the caller disposes) then each variable's
   * momentum as `${variableName}/momentum` — the live state, so copy or write it out before the
   * next step.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const states = [...this.accumulations.values()].map((state) => ({ name: state.originalName, tensor: state.variable }));
    return [await this.saveIterations(), ...states];
  }

  /**
   * Restores what {@link getWeights} returned (copies the tensors; the caller keeps its own). Every
   * state must belong to a registered variable of the same shape: a momentum whose name matches no
   * variable would sit unused while the real variable started again from zero — an error names it
   * (UNKNOWN_VARIABLE), unless `{ allowUnknown: true }` drops such states on purpose.
   */
  override async setWeights(weightValues: NamedTensor[], options: { allowUnknown?: boolean } = {}): Promise<void> {
    const states = await this.restoreIterations(weightValues);
    const registered = tf.engine().registeredVariables;
    const unknown: string[] = [];
    for (const { name, tensor } of states) {
      assertArgument(
        name.endsWith(MOMENTUM_SUFFIX),
        'INVALID_ARGUMENT',
        () => `LARSOptimizer.setWeights: state '${name}' is not a LARS state (names end in '${MOMENTUM_SUFFIX}')`,
      );
      const variable = registered[name.slice(0, -MOMENTUM_SUFFIX.length)];
      if (variable === undefined) unknown.push(name);
      else {
        assertArgument(
          tf.util.arraysEqual(variable.shape, tensor.shape),
          'INVALID_SHAPE',
          () => `LARSOptimizer.setWeights: state '${name}' has shape [${tensor.shape}], its variable [${variable.shape}]`,
        );
      }
    }
    if (unknown.length > 0 && !options.allowUnknown) {
      throw new BigFaceError(
        'UNKNOWN_VARIABLE',
        `LARSOptimizer.setWeights: ${unknown.length} state(s) belong to no registered variable: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''} ` +
          '(variable names carry a per-model prefix: save and load through names that do not, or pass { allowUnknown: true } to drop them)',
      );
    }
    for (const state of this.accumulations.values()) state.variable.dispose();
    this.accumulations.clear();
    for (const { name, tensor } of states) {
      if (unknown.includes(name)) continue;
      this.accumulations.set(name.slice(0, -MOMENTUM_SUFFIX.length), { originalName: name, variable: tensor.variable(false) });
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return this.hyperparameterConfig();
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls({
      learningRate: config.learningRate,
      momentum: config.momentum,
      weightDecay: config.weightDecay,
      eta: config.eta,
      epsilon: config.epsilon,
    });
  }
}

// A side effect of importing the package (package.json "sideEffects" says so): tfjs can revive
// a serialised LARSOptimizer by its className.
tf.serialization.registerClass(LARSOptimizer);
