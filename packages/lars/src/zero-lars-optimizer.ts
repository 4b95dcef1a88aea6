import { BigFaceError, assertArgument, fromBfloat16, tf, toBfloat16, type Communicator } from '@bigface/backend';
import type { LARSExcludePredicate, LARSOptimizerOptions, NamedTensor } from './lars-optimizer';
import { LARSHyperparameterOptimizer, MOMENTUM_SUFFIX, excludeRankAtMostOne } from './lars-hyperparameters';

/** Options of {@link ZeroLARSOptimizer}: LARS's hyperparameters plus what ZeRO shards. */
export interface ZeroLARSOptimizerOptions extends Omit<LARSOptimizerOptions, 'reduceSquaredNorms' | 'updateRows'> {
  /** The replicated (data-parallel) variables, in the same order on every rank: the backbone's trainable variables. */
  variables: readonly tf.Variable[];
  /** The data-parallel ranks that share the optimizer state. */
  communicator: Communicator;
  /**
   * How the ranks' gradients combine: `'sum'` (default: each rank passes its contribution to the
   * global batch's loss, as `@bigface/train` does) or `'mean'` (each rank passes the gradient of its
   * own mean loss).
   */
  gradientReduction?: 'sum' | 'mean';
  /**
   * The wire format of the gradient reduce-scatter: `'fp32'` (default) or `'bf16'` — half the bytes
   * between ranks; each rank's values are rounded to bfloat16, summed in float32 in rank order and
   * rounded once (mixed precision "including communication of the grad.", as the BigFace deck did).
   * The weights' all-gather stays float32.
   */
  gradientExchange?: 'fp32' | 'bf16';
}

/** Where one variable sits in the flat parameter vector, and which part of it this rank owns. */
export interface ZeroVariableSlot {
  name: string;
  shape: number[];
  /** First element of the variable in the flat vector. */
  offset: number;
  size: number;
  excluded: boolean;
}

/** The flat layout: all variables concatenated, split into W contiguous slices (the first `total % W` one element longer). */
export interface ZeroShardLayout {
  total: number;
  /** Elements per rank. */
  counts: number[];
  /** This rank's slice of the flat vector: `[start, start + count)`. */
  start: number;
  count: number;
  slots: ZeroVariableSlot[];
}

/**
 * LARS with ZeRO stage 1 (Rajbhandari et al. 2020, https://arxiv.org/abs/1910.02054): the optimizer
 * state (LARS's momentum) of replicated, data-parallel variables is sharded across the ranks, so
 * each rank holds 1/W of it. One step:
 *
 * 1. flatten this rank's gradients and **reduce-scatter** them: each rank gets the combined
 *    gradient of its contiguous slice of the flat parameter vector;
 * 2. compute each variable's squared norms `|w|²`, `|g|²` over this rank's part of it and
 *    **all-reduce** them (one small collective for all variables), so the LARS trust ratios are
 *    those of the whole variables;
 * 3. LARS-update the slice (weight decay, trust ratio, momentum) exactly as {@link LARSOptimizer}
 *    does, in float32;
 * 4. **all-gather** the updated slices and assign every variable, so all ranks hold the same weights.
 *
 * The result equals unsharded {@link LARSOptimizer} on the combined gradient to float tolerance
 * (only the summation order of the norms differs). Every rank must call `applyGradients` at the
 * same step with gradients for all `variables` (it is collective). The state is interchangeable
 * with LARSOptimizer's: `getWeights()` (collective) returns `[iter, ...${name}/momentum]` for every
 * variable, and `setWeights` accepts that format from either optimizer, at any world size.
 *
 * @example
 * const backbone = new ZeroLARSOptimizer({ variables: model.trainableVariables(), communicator, learningRate: 0.1 });
 * // each step, on every rank: this rank's (unreduced) gradients of the global batch's loss
 * const { grads } = tf.variableGrads(() => loss(model, batch), model.trainableVariables());
 * backbone.setLearningRate(schedule(step));
 * backbone.applyGradients(grads); // reduce-scatter → LARS on 1/W → all-gather
 * console.log(backbone.stateBytes); // momentum bytes on this rank ≈ 4·parameters/W
 */
export class ZeroLARSOptimizer extends LARSHyperparameterOptimizer {
  /** @nocollapse */
  static get className(): string {
    return 'ZeroLARS';
  }

  readonly communicator: Communicator;
  readonly gradientReduction: 'sum' | 'mean';
  readonly gradientExchange: 'fp32' | 'bf16';
  readonly layout: ZeroShardLayout;
  private readonly variables: readonly tf.Variable[];
  /** LARS momentum of this rank's slice, float32. */
  private momentumSlice: Float32Array;

  constructor(options: ZeroLARSOptimizerOptions) {
    super('ZeroLARSOptimizer', options, 'new ZeroLARSOptimizer({ variables, communicator, learningRate: 0.1 })');
    const { communicator, variables } = options;
    assertArgument(
      communicator !== undefined && typeof communicator.reduceScatter === 'function' && Number.isInteger(communicator.worldSize),
      'INVALID_ARGUMENT',
      () => 'ZeroLARSOptimizer: communicator must be a Communicator (SingleCommunicator, ThreadCommunicator, MpiCommunicator)',
    );
    assertArgument(
      Array.isArray(variables) && variables.length > 0 && variables.every((v) => v instanceof tf.Variable),
      'INVALID_ARGUMENT',
      () => 'ZeroLARSOptimizer: variables must be a non-empty array of tf.Variable (e.g. model.trainableVariables())',
    );
    const names = new Set<string>();
    for (const variable of variables) {
      assertArgument(
        variable.dtype === 'float32',
        'INVALID_ARGUMENT',
        () => `ZeroLARSOptimizer: variable '${variable.name}' is ${variable.dtype}; only float32 variables can be trained`,
      );
      assertArgument(!names.has(variable.name), 'INVALID_ARGUMENT', () => `ZeroLARSOptimizer: variable '${variable.name}' is listed twice`);
      names.add(variable.name);
    }
    const reduction = options.gradientReduction ?? 'sum';
    assertArgument(
      reduction === 'sum' || reduction === 'mean',
      'INVALID_ARGUMENT',
      () => `ZeroLARSOptimizer: gradientReduction must be 'sum' or 'mean', got ${String(reduction)}`,
    );
    this.communicator = communicator;
    this.gradientReduction = reduction;
    const exchange = options.gradientExchange ?? 'fp32';
    assertArgument(
      exchange === 'fp32' || exchange === 'bf16',
      'INVALID_ARGUMENT',
      () => `ZeroLARSOptimizer: gradientExchange must be 'fp32' or 'bf16', got ${String(exchange)}`,
    );
    this.gradientExchange = exchange;
    this.variables = [...variables];
    this.layout = zeroShardLayout(this.variables, communicator.worldSize, communicator.rank, this.exclude);
    this.momentumSlice = new Float32Array(this.layout.count);
  }

  /** Bytes of optimizer state on this rank (the momentum slice): ≈ 4·parameters/W. */
  get stateBytes(): number {
    return this.momentumSlice.byteLength;
  }

  /**
   * One ZeRO-1 LARS step (collective). `gradients`: this rank's gradients of every variable — an
   * array in `variables` order, named tensors, or a map by variable name (what `tf.variableGrads` returns).
   */
  override applyGradients(gradients: tf.NamedTensorMap | NamedTensor[] | readonly tf.Tensor[]): void {
    const { layout, communicator } = this;
    const byName = new Map<string, tf.Tensor>();
    if (Array.isArray(gradients)) {
      gradients.forEach((item: tf.Tensor | NamedTensor, index: number) => {
        if (item instanceof tf.Tensor) byName.set(this.variables[index]?.name ?? `#${index}`, item);
        else byName.set(item.name, item.tensor);
      });
    } else {
      for (const [name, tensor] of Object.entries(gradients as tf.NamedTensorMap)) byName.set(name, tensor);
    }
    // 1. Flatten and reduce-scatter.
    const flat = new Float32Array(layout.total);
    for (const slot of layout.slots) {
      const gradient = byName.get(slot.name);
      if (gradient == null) {
        throw new BigFaceError(
          'MISSING_GRADIENT',
          `ZeroLARSOptimizer.applyGradients: no gradient for variable '${slot.name}'; pass gradients of all ${layout.slots.length} variables on every rank (zeros where a variable is unused)`,
        );
      }
      assertArgument(
        tf.util.arraysEqual(gradient.shape, slot.shape),
        'INVALID_SHAPE',
        () => `ZeroLARSOptimizer.applyGradients: gradient of '${slot.name}' has shape [${gradient.shape}], the variable [${slot.shape}]`,
      );
      flat.set(gradient.dataSync() as Float32Array, slot.offset);
    }
    const g =
      this.gradientExchange === 'bf16'
        ? fromBfloat16(communicator.reduceScatter(toBfloat16(flat), this.gradientReduction, layout.counts))
        : communicator.reduceScatter(flat, this.gradientReduction, layout.counts);
    // This rank's slice of the parameters, from the variables that overlap it.
    const start = layout.start;
    const end = start + layout.count;
    const w = new Float32Array(layout.count);
    const owned = layout.slots
      .map((slot, index) => ({ slot, index, from: Math.max(start, slot.offset), to: Math.min(end, slot.offset + slot.size) }))
      .filter((p) => p.to > p.from);
    for (const { slot, index, from, to } of owned) {
      const values = this.variables[index]!.dataSync() as Float32Array;
      w.set(values.subarray(from - slot.offset, to - slot.offset), from - start);
    }
    // 2. Squared norms of every variable over all slices (in float64, then as LARS sees them: float32).
    const squared = new Float64Array(2 * layout.slots.length);
    for (const { slot, index, from, to } of owned) {
      if (slot.excluded) continue;
      let ww = 0;
      let gg = 0;
      for (let i = from - start; i < to - start; i++) {
        ww += (w[i] as number) * (w[i] as number);
        gg += (g[i] as number) * (g[i] as number);
      }
      squared[2 * index] = ww;
      squared[2 * index + 1] = gg;
    }
    const norms = communicator.allReduce(squared, 'sum');
    // 3. LARS on the slice, rounding to float32 after every operation like LARSOptimizer's tensor ops.
    const f = Math.fround;
    const momentum = f(this.momentum);
    const learningRate = f(this.learningRate);
    const weightDecay = f(this.weightDecay);
    const eta = f(this.eta);
    const epsilon = f(this.epsilon);
    const v = this.momentumSlice;
    for (const { slot, index, from, to } of owned) {
      const first = from - start;
      const last = to - start;
      if (slot.excluded) {
        for (let i = first; i < last; i++) {
          v[i] = f(f(momentum * (v[i] as number)) + (g[i] as number));
          w[i] = f((w[i] as number) - f(learningRate * (v[i] as number)));
        }
        continue;
      }
      const weightNorm = f(Math.sqrt(f(norms[2 * index] as number)));
      const gradientNorm = f(Math.sqrt(f(norms[2 * index + 1] as number)));
      // torchlars: a zero weight (fresh init) or a zero gradient keeps the plain step.
      const trust = weightNorm > 0 && gradientNorm > 0 ? f(f(eta * weightNorm) / f(f(gradientNorm + f(weightDecay * weightNorm)) + epsilon)) : 1;
      for (let i = first; i < last; i++) {
        const update = f(trust * f((g[i] as number) + f(weightDecay * (w[i] as number))));
        v[i] = f(f(momentum * (v[i] as number)) + update);
        w[i] = f((w[i] as number) - f(learningRate * (v[i] as number)));
      }
    }
    // 4. All-gather the slices and assign.
    const parameters = communicator.allGather(w);
    tf.tidy(() => {
      layout.slots.forEach((slot, index) => {
        this.variables[index]!.assign(tf.tensor(parameters.subarray(slot.offset, slot.offset + slot.size), slot.shape, 'float32'));
      });
    });
    this.incrementIterations();
  }

  /**
   * Collective: every rank's momentum slice gathered into `[iter, ...${name}/momentum]` for every
   * variable — the format of {@link LARSOptimizer.getWeights}, so a checkpoint written by rank 0
   * resumes with ZeRO at any world size or without it. The tensors are new: dispose them.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const full = this.communicator.allGather(this.momentumSlice);
    const states = this.layout.slots.map((slot) => ({
      name: `${slot.name}${MOMENTUM_SUFFIX}`,
      tensor: tf.tensor(full.subarray(slot.offset, slot.offset + slot.size), slot.shape, 'float32'),
    }));
    return [await this.saveIterations(), ...states];
  }

  /**
   * Restores what `getWeights` of this optimizer or of {@link LARSOptimizer} returned, keeping this
   * rank's slice (not collective). A state of no variable of this optimizer is an error, and so is a
   * variable without a state (it would restart from zero momentum) unless `{ partial: true }`.
   */
  override async setWeights(weightValues: NamedTensor[], options: { partial?: boolean } = {}): Promise<void> {
    const states = await this.restoreIterations(weightValues);
    const slots = new Map(this.layout.slots.map((slot) => [`${slot.name}${MOMENTUM_SUFFIX}`, slot]));
    if (!options.partial) {
      const given = new Set(states.map((state) => state.name));
      const missing = [...slots.keys()].filter((name) => !given.has(name));
      if (missing.length > 0) {
        throw new BigFaceError(
          'MISSING_STATE',
          `ZeroLARSOptimizer.setWeights: no state for ${missing.length} variable(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}; give every momentum, or { partial: true } to start those from zero`,
        );
      }
    }
    const momentum = new Float32Array(this.layout.count);
    const start = this.layout.start;
    const end = start + this.layout.count;
    for (const { name, tensor } of states) {
      const slot = slots.get(name);
      if (slot === undefined) {
        throw new BigFaceError(
          'INVALID_ARGUMENT',
          `ZeroLARSOptimizer.setWeights: state '${name}' belongs to no variable of this optimizer (expected '<variable name>${MOMENTUM_SUFFIX}')`,
        );
      }
      assertArgument(
        tf.util.arraysEqual(tensor.shape, slot.shape),
        'INVALID_SHAPE',
        () => `ZeroLARSOptimizer.setWeights: state '${name}' has shape [${tensor.shape}], the variable [${slot.shape}]`,
      );
      const from = Math.max(start, slot.offset);
      const to = Math.min(end, slot.offset + slot.size);
      if (to > from) momentum.set((tensor.dataSync() as Float32Array).subarray(from - slot.offset, to - slot.offset), from - start);
    }
    this.momentumSlice = momentum;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.hyperparameterConfig(), gradientReduction: this.gradientReduction };
  }

  /**
   * Not supported: a ZeRO optimizer needs its variables and communicator, which a config cannot
   * carry. Construct it with `new ZeroLARSOptimizer({ ...config, variables, communicator })`.
   * @nocollapse
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    _cls: tf.serialization.SerializableConstructor<T>,
    _config: tf.serialization.ConfigDict,
  ): T {
    throw new BigFaceError(
      'UNSUPPORTED',
      'ZeroLARSOptimizer.fromConfig: a ZeRO optimizer needs its variables and communicator; use new ZeroLARSOptimizer({ ...config, variables, communicator })',
    );
  }
}

/**
 * The flat layout of ZeRO: `variables` concatenated in order and split into `worldSize` contiguous
 * slices (PartialFC's rule: the first `total % W` ranks one element more); `rank`'s slice.
 */
export function zeroShardLayout(
  variables: readonly tf.Variable[],
  worldSize: number,
  rank: number,
  exclude: LARSExcludePredicate = excludeRankAtMostOne,
): ZeroShardLayout {
  const slots: ZeroVariableSlot[] = [];
  let total = 0;
  for (const variable of variables) {
    slots.push({ name: variable.name, shape: [...variable.shape], offset: total, size: variable.size, excluded: exclude(variable) });
    total += variable.size;
  }
  const base = Math.floor(total / worldSize);
  const extra = total % worldSize;
  const counts = Array.from({ length: worldSize }, (_, r) => base + (r < extra ? 1 : 0));
  const start = base * rank + Math.min(rank, extra);
  return { total, counts, start, count: counts[rank]!, slots };
}
