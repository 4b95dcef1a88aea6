import { assertArgument, tf } from '@bigface/backend';
import type { LARSExcludePredicate, LARSOptimizerOptions, NamedTensor } from './lars-optimizer';

/** The saved name of variable `name`'s momentum is `${name}${MOMENTUM_SUFFIX}`. @internal */
export const MOMENTUM_SUFFIX = '/momentum';

/** LARS's validated hyperparameters (shared by LARSOptimizer and ZeroLARSOptimizer). @internal */
export interface LARSHyperparameters {
  learningRate: number;
  momentum: number;
  weightDecay: number;
  eta: number;
  epsilon: number;
  exclude: LARSExcludePredicate | undefined;
}

/** A finite number ≥ (or >) `minimum`, else INVALID_ARGUMENT naming the optimizer and option. @internal */
export function checkNumber(owner: string, name: string, value: unknown, minimum: number, allowEqual = true): number {
  assertArgument(
    typeof value === 'number' && Number.isFinite(value) && (allowEqual ? value >= minimum : value > minimum),
    'INVALID_ARGUMENT',
    () => `${owner}: ${name} must be a finite number ${allowEqual ? '≥' : '>'} ${minimum}, got ${String(value)}`,
  );
  return value as number;
}

/**
 * Checks LARS's options and fills the defaults (momentum 0.9, weight decay 5e-4, η 0.001, ε 1e-8);
 * `exclude` stays undefined when not given. `example` completes the "pass an options object" hint. @internal
 */
export function resolveLARSHyperparameters(owner: string, options: Partial<LARSOptimizerOptions> | undefined, example: string): LARSHyperparameters {
  assertArgument(typeof options === 'object' && options !== null, 'INVALID_ARGUMENT', () => `${owner}: pass an options object, e.g. ${example}`);
  assertArgument(
    options.exclude === undefined || typeof options.exclude === 'function',
    'INVALID_ARGUMENT',
    () => `${owner}: exclude must be a function (variable) => boolean, got ${typeof options.exclude}`,
  );
  return {
    learningRate: checkNumber(owner, 'learningRate', options.learningRate, 0),
    momentum: checkNumber(owner, 'momentum', options.momentum ?? 0.9, 0),
    weightDecay: checkNumber(owner, 'weightDecay', options.weightDecay ?? 5e-4, 0),
    eta: checkNumber(owner, 'eta', options.eta ?? 0.001, 0, false),
    epsilon: checkNumber(owner, 'epsilon', options.epsilon ?? 1e-8, 0),
    exclude: options.exclude,
  };
}

/** The default `exclude`: variables of rank ≤ 1. */
export const excludeRankAtMostOne: LARSExcludePredicate = (variable) => variable.rank <= 1;

/**
 * What LARSOptimizer and ZeroLARSOptimizer share: the validated hyperparameters, `exclude`
 * (default {@link excludeRankAtMostOne}), `setLearningRate` and the hyperparameter part of
 * `getConfig`. @internal
 */
export abstract class LARSHyperparameterOptimizer extends tf.Optimizer {
  learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly eta: number;
  readonly epsilon: number;
  readonly exclude: LARSExcludePredicate;
  /** The class name in error messages. */
  private readonly owner: string;

  protected constructor(owner: string, options: Partial<LARSOptimizerOptions> | undefined, example: string) {
    super();
    const hyperparameters = resolveLARSHyperparameters(owner, options, example);
    this.owner = owner;
    this.learningRate = hyperparameters.learningRate;
    this.momentum = hyperparameters.momentum;
    this.weightDecay = hyperparameters.weightDecay;
    this.eta = hyperparameters.eta;
    this.epsilon = hyperparameters.epsilon;
    this.exclude = hyperparameters.exclude ?? excludeRankAtMostOne;
  }

  /** Sets the learning rate of the next steps, e.g. `setLearningRate(schedule(step))`. */
  setLearningRate(learningRate: number): void {
    this.learningRate = checkNumber(this.owner, 'learningRate', learningRate, 0);
  }

  /**
   * The momentum entries of `weightValues` after restoring the iteration count from its first
   * entry, which must be `iter` (the format of getWeights), else INVALID_ARGUMENT.
   */
  protected async restoreIterations(weightValues: NamedTensor[]): Promise<NamedTensor[]> {
    const [first] = weightValues;
    assertArgument(
      first !== undefined && first.name === 'iter',
      'INVALID_ARGUMENT',
      () => `${this.owner}.setWeights: the first entry must be the iteration count 'iter', got '${first?.name}'`,
    );
    return this.extractIterations(weightValues);
  }

  /** learningRate, momentum, weightDecay, eta, epsilon: the serialisable hyperparameters. */
  protected hyperparameterConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, momentum: this.momentum, weightDecay: this.weightDecay, eta: this.eta, epsilon: this.epsilon };
  }
}
