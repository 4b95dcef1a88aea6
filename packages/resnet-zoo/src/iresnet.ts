import { Rng, assertArgument, tf, type ParameterGroup } from '@bigface/backend';
import { batchNormTraining, preluTraining } from './batch-norm-training';
import { checkpoint } from './checkpoint';
import { tfjsShape, tfjsToTorch, torchToTfjs } from './layout';
import { resolveIResNetConfig, type IResNetConfig, type IResNetOptions } from './resolve-iresnet-config';
import { iresnetStateDictSpec, isResolved, type StateDictEntry } from './state-dict-spec';

/** Options of {@link IResNet.forward}. */
export interface IResNetForwardOptions {
  /**
   * Training mode: BatchNorm normalises with batch statistics and updates its running averages
   * (momentum 0.1, unbiased variance, as PyTorch), and dropout is active. Default false (eval:
   * running statistics, no dropout).
   */
  training?: boolean;
  /**
   * Gradient checkpointing: `stage` or `block` recompute each stage / block during backward instead
   * of keeping its activations. Same gradients, lower peak memory, about one extra forward of compute.
   */
  checkpointing?: 'none' | 'stage' | 'block';
  /** Seed of the dropout mask (training with dropout > 0 only). */
  seed?: number;
}

/** A tensor of the PyTorch state dict, in PyTorch's layout (OIHW convs, [out, in] FC). */
export interface StateDictTensor {
  /** Safetensors' name for float32. */
  dtype: 'F32';
  shape: number[];
  data: Float32Array;
}

let modelCounter = 0;

/**
 * insightface's IResNet (`recognition/arcface_torch/backbones/iresnet.py`) on tfjs, NHWC.
 *
 * Weights live in {@link IResNet.variables}, a `Map` in PyTorch `state_dict` order and names
 * (`conv1.weight`, `layer1.0.bn1.running_mean`, `features.bias`, ...). Values are in tfjs layout:
 * convs HWIO, the FC as [in, out] over NHWC-flattened features; {@link IResNet.toStateDict} and
 * {@link IResNet.loadStateDict} convert to and from PyTorch's layout. Running statistics are
 * non-trainable variables, as is `features.weight` (fixed at 1 by insightface).
 *
 * How training-mode BatchNorm updates its running statistics: `forward({training: true})` calls
 * `Variable.assign` with the new averages as a side effect. Those ops do not lie on the path to the
 * output, so `tf.grads`/`tf.variableGrads`/`optimizer.minimize` ignore them; under checkpointing the
 * backward re-run skips the update, so statistics move exactly once per forward.
 *
 * @example
 * import { initBackend, tf } from '@bigface/backend';
 * import { IResNet } from '@bigface/resnet-zoo';
 * await initBackend({ backend: 'cpu' });
 * const model = IResNet.create({ layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64, inputSize: 32 }, { seed: 1 });
 * const embedding = model.forward(tf.randomNormal([2, 32, 32, 3])); // [2, 64]
 */
export class IResNet {
  readonly config: IResNetConfig;
  readonly spec: readonly StateDictEntry[];
  /** All weights and running statistics, keyed by PyTorch state_dict name, in state_dict order. */
  readonly variables: Map<string, tf.Variable>;

  private constructor(config: IResNetConfig, variables: Map<string, tf.Variable>) {
    this.config = config;
    this.spec = iresnetStateDictSpec(config);
    this.variables = variables;
  }

  /**
   * Builds a model with insightface's initialisation (conv N(0, 0.1), BN 1/0, PReLU 0.25, PyTorch's
   * default Linear init), deterministic in `seed`.
   */
  static create(architecture: string | IResNetOptions | IResNetConfig = 'r50', options: { seed?: number } = {}): IResNet {
    const config = isResolved(architecture) ? architecture : resolveIResNetConfig(architecture);
    const rng = new Rng(options.seed ?? 0);
    const prefix = `iresnet${modelCounter++}`;
    const variables = new Map<string, tf.Variable>();
    for (const entry of iresnetStateDictSpec(config)) {
      const shape = tfjsShape(entry);
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      const fanIn = entry.layout === 'linear' ? entry.shape[1]! : 0;
      switch (entry.initializer) {
        case 'conv-normal':
          rng.fillNormal(data, 0, 0.1);
          break;
        case 'linear-weight':
        case 'linear-bias': {
          // kaiming_uniform(a=sqrt(5)) and the bias rule both give U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
          const bound = 1 / Math.sqrt(fanIn || config.widths[3]! * config.finalHeight * config.finalWidth);
          rng.fillUniform(data, -bound, bound);
          break;
        }
        case 'ones':
          data.fill(1);
          break;
        case 'prelu':
          data.fill(0.25);
          break;
        case 'zeros':
          break;
      }
      const initial = tf.tensor(data, shape);
      variables.set(entry.name, tf.variable(initial, entry.trainable, `${prefix}/${entry.name}`));
      initial.dispose(); // the variable keeps the data; the initial-value tensor would otherwise stay counted
    }
    return new IResNet(config, variables);
  }

  /** The variables that train (every parameter except `features.weight`), in state_dict order. */
  trainableVariables(): tf.Variable[] {
    return this.spec.filter((e) => e.trainable).map((e) => this.variables.get(e.name)!);
  }

  /**
   * The trainable variables as one data-parallel group (`replicated`: every rank holds the same
   * backbone and sums its gradient contributions with the others').
   */
  parameterGroup(): ParameterGroup {
    return { name: 'backbone', variables: this.trainableVariables(), placement: 'replicated' };
  }

  /** `sum(p.numel() for p in model.parameters())` of this instance. */
  parameterCount(): number {
    return this.spec.filter((e) => e.kind === 'parameter').reduce((n, e) => n + this.variables.get(e.name)!.size, 0);
  }

  /**
   * The embedding of a batch of NHWC images `[batch, height, width, 3]` (insightface feeds
   * `(x / 255 - 0.5) / 0.5`). Returns `[batch, embeddingSize]`.
   */
  forward(input: tf.Tensor4D, options: IResNetForwardOptions = {}): tf.Tensor2D {
    const { config } = this;
    assertArgument(
      input.rank === 4 && input.shape[1] === config.inputHeight && input.shape[2] === config.inputWidth && input.shape[3] === 3,
      'INVALID_INPUT',
      () => `IResNet.forward: input must be [batch, ${config.inputHeight}, ${config.inputWidth}, 3] (NHWC), got [${input.shape.join(', ')}]`,
    );
    const training = options.training ?? false;
    const mode = options.checkpointing ?? 'none';
    assertArgument(
      ['none', 'stage', 'block'].includes(mode),
      'INVALID_ARGUMENT',
      () => `IResNet.forward: checkpointing must be 'none', 'stage' or 'block', got '${mode}'`,
    );
    return tf.tidy(() => {
      let x: tf.Tensor = this.stem(input as tf.Tensor4D, training, true);
      config.layers.forEach((blocks, stage) => {
        if (mode === 'stage') {
          const names = this.blockNames(stage, blocks);
          const run = checkpoint(
            (t, recomputing) => names.reduce((h, name) => this.block(h as tf.Tensor4D, name, training, !recomputing), t),
            this.trainableIn(names),
          );
          x = run(x);
        } else {
          for (const name of this.blockNames(stage, blocks)) {
            x =
              mode === 'block'
                ? checkpoint((t, recomputing) => this.block(t as tf.Tensor4D, name, training, !recomputing), this.trainableIn([name]))(x)
                : this.block(x as tf.Tensor4D, name, training, true);
          }
        }
      });
      return this.head(x as tf.Tensor4D, training, options.seed);
    });
  }

  /**
   * The weights in PyTorch's layout and names, ready for `writeSafetensors` / a PyTorch
   * `load_state_dict`.
   */
  toStateDict(): Map<string, StateDictTensor> {
    const out = new Map<string, StateDictTensor>();
    for (const entry of this.spec) {
      const data = this.variables.get(entry.name)!.dataSync() as Float32Array;
      out.set(entry.name, { dtype: 'F32', shape: [...entry.shape], data: tfjsToTorch(entry, Float32Array.from(data), this.config) });
    }
    return out;
  }

  /**
   * Loads weights given in PyTorch's layout and names (e.g. an insightface checkpoint converted to
   * safetensors). Every entry of the architecture must be present with its exact shape;
   * `num_batches_tracked` is ignored; any other unexpected name is an error unless `strict: false`.
   */
  loadStateDict(record: ReadonlyMap<string, { shape: readonly number[]; data: ArrayLike<number> | BigInt64Array }>, options: { strict?: boolean } = {}): void {
    const strict = options.strict ?? true;
    const missing = this.spec.filter((e) => !record.has(e.name)).map((e) => e.name);
    assertArgument(
      missing.length === 0,
      'STATE_DICT_MISMATCH',
      () =>
        `IResNet.loadStateDict: missing ${missing.length} tensor(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''} ` +
        `(is the checkpoint for layers [${this.config.layers.join(', ')}], widths [${this.config.widths.join(', ')}], embedding ${this.config.embeddingSize}?)`,
    );
    if (strict) {
      const known = new Set(this.spec.map((e) => e.name));
      const unexpected = [...record.keys()].filter((k) => !known.has(k) && !k.endsWith('num_batches_tracked'));
      assertArgument(
        unexpected.length === 0,
        'STATE_DICT_MISMATCH',
        () => `IResNet.loadStateDict: unexpected tensor(s) ${unexpected.slice(0, 5).join(', ')}; pass {strict: false} to ignore them`,
      );
    }
    for (const entry of this.spec) {
      const tensor = record.get(entry.name)!;
      assertArgument(
        !(tensor.data instanceof BigInt64Array),
        'STATE_DICT_MISMATCH',
        () => `IResNet.loadStateDict: '${entry.name}' holds 64-bit integers; a floating-point tensor is expected`,
      );
      assertArgument(
        tensor.shape.length === entry.shape.length && tensor.shape.every((d, i) => d === entry.shape[i]),
        'STATE_DICT_MISMATCH',
        () => `IResNet.loadStateDict: '${entry.name}' has shape [${tensor.shape.join(', ')}], the model expects [${entry.shape.join(', ')}]`,
      );
    }
    for (const entry of this.spec) {
      const tensor = record.get(entry.name)!;
      const data = torchToTfjs(entry, Float32Array.from(tensor.data as ArrayLike<number>), this.config);
      tf.tidy(() => this.variables.get(entry.name)!.assign(tf.tensor(data, tfjsShape(entry))));
    }
  }

  /**
   * A tensor shaped like state-dict entry `name` (its value, or an optimizer state of it such as
   * LARS momentum), given in PyTorch's layout, as a tensor in this model's tfjs layout.
   */
  fromTorchLayout(name: string, tensor: { shape: readonly number[]; data: ArrayLike<number> }): tf.Tensor {
    const entry = this.entry(name);
    assertArgument(
      tensor.shape.length === entry.shape.length && tensor.shape.every((d, i) => d === entry.shape[i]),
      'STATE_DICT_MISMATCH',
      () => `IResNet.fromTorchLayout: '${name}' has shape [${tensor.shape.join(', ')}], the model expects [${entry.shape.join(', ')}]`,
    );
    return tf.tensor(torchToTfjs(entry, Float32Array.from(tensor.data), this.config), tfjsShape(entry));
  }

  /** The inverse of {@link IResNet.fromTorchLayout}: a tensor of entry `name` in PyTorch's layout and shape. */
  toTorchLayout(name: string, tensor: tf.Tensor): StateDictTensor {
    const entry = this.entry(name);
    return { dtype: 'F32', shape: [...entry.shape], data: tfjsToTorch(entry, Float32Array.from(tensor.dataSync() as Float32Array), this.config) };
  }

  /** Frees every variable. */
  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
  }

  private entry(name: string): StateDictEntry {
    const entry = this.spec.find((e) => e.name === name);
    assertArgument(entry !== undefined, 'STATE_DICT_MISMATCH', () => `IResNet: no state-dict entry '${name}' in this architecture`);
    return entry;
  }

  private v(name: string): tf.Variable {
    return this.variables.get(name)!;
  }

  private blockNames(stage: number, blocks: number): string[] {
    return Array.from({ length: blocks }, (_, i) => `layer${stage + 1}.${i}`);
  }

  private trainableIn(prefixes: string[]): tf.Variable[] {
    return this.spec.filter((e) => e.trainable && prefixes.some((p) => e.name.startsWith(`${p}.`))).map((e) => this.v(e.name));
  }

  private batchNorm(x: tf.Tensor, prefix: string, training: boolean, update: boolean): tf.Tensor {
    const gamma = this.v(`${prefix}.weight`);
    const beta = this.v(`${prefix}.bias`);
    const runningMean = this.v(`${prefix}.running_mean`);
    const runningVariance = this.v(`${prefix}.running_var`);
    const epsilon = this.config.batchNormEpsilon;
    if (!training) {
      return tf.batchNorm(x, runningMean as tf.Tensor1D, runningVariance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, epsilon);
    }
    const count = x.shape.slice(0, -1).reduce((n, d) => n * d, 1);
    assertArgument(
      count > 1,
      'INVALID_INPUT',
      () => `IResNet.forward: training-mode BatchNorm '${prefix}' needs more than one value per channel (batch of 1 at the head); use batch >= 2`,
    );
    const momentum = this.config.batchNormMomentum;
    return batchNormTraining(
      x,
      gamma,
      beta,
      epsilon,
      update
        ? (mean, variance) => {
            runningMean.assign(tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum)));
            // PyTorch normalises with the biased variance but tracks the unbiased one.
            runningVariance.assign(tf.add(tf.mul(runningVariance, 1 - momentum), tf.mul(variance, (momentum * count) / (count - 1))));
          }
        : undefined,
    );
  }

  private prelu(x: tf.Tensor, alpha: tf.Tensor, training: boolean): tf.Tensor {
    return training ? preluTraining(x, alpha) : tf.prelu(x, alpha);
  }

  private stem(x: tf.Tensor4D, training: boolean, update: boolean): tf.Tensor {
    const y = tf.conv2d(x, this.v('conv1.weight') as tf.Tensor4D, 1, 1);
    return this.prelu(this.batchNorm(y, 'bn1', training, update), this.v('prelu.weight'), training);
  }

  private block(x: tf.Tensor4D, prefix: string, training: boolean, update: boolean): tf.Tensor {
    const downsample = this.variables.has(`${prefix}.downsample.0.weight`);
    const stride = downsample ? 2 : 1;
    let out: tf.Tensor = this.batchNorm(x, `${prefix}.bn1`, training, update);
    out = tf.conv2d(out as tf.Tensor4D, this.v(`${prefix}.conv1.weight`) as tf.Tensor4D, 1, 1);
    out = this.batchNorm(out, `${prefix}.bn2`, training, update);
    out = this.prelu(out, this.v(`${prefix}.prelu.weight`), training);
    out = tf.conv2d(out as tf.Tensor4D, this.v(`${prefix}.conv2.weight`) as tf.Tensor4D, stride, 1);
    out = this.batchNorm(out, `${prefix}.bn3`, training, update);
    let identity: tf.Tensor = x;
    if (downsample) {
      identity = tf.conv2d(x, this.v(`${prefix}.downsample.0.weight`) as tf.Tensor4D, stride, 'valid');
      identity = this.batchNorm(identity, `${prefix}.downsample.1`, training, update);
    }
    return tf.add(out, identity);
  }

  private head(x: tf.Tensor4D, training: boolean, seed: number | undefined): tf.Tensor2D {
    let out: tf.Tensor = this.batchNorm(x, 'bn2', training, true);
    out = tf.reshape(out, [x.shape[0], -1]);
    if (training && this.config.dropout > 0) out = tf.dropout(out, this.config.dropout, undefined, seed);
    out = tf.add(tf.matMul(out as tf.Tensor2D, this.v('fc.weight') as tf.Tensor2D), this.v('fc.bias'));
    return this.batchNorm(out, 'features', training, true) as tf.Tensor2D;
  }
}
