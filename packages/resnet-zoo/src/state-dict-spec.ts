import { resolveIResNetConfig, type IResNetConfig, type IResNetOptions } from './resolve-iresnet-config';

/**
 * How a tensor is laid out. PyTorch shapes are OIHW for convs and [out, in] with the input in
 * NCHW-flatten order for the FC; tfjs keeps convs HWIO and the FC as [in, out] with the input in
 * NHWC-flatten order. Vectors are the same in both.
 */
export type TensorLayout = 'conv' | 'linear' | 'vector';

/** How a tensor starts out, as in insightface's `IResNet.__init__`. */
export type Initializer = 'conv-normal' | 'linear-weight' | 'linear-bias' | 'ones' | 'zeros' | 'prelu';

/** One entry of the PyTorch `state_dict` of an IResNet. */
export interface StateDictEntry {
  /** PyTorch's name, e.g. `layer1.0.bn1.running_mean`. */
  readonly name: string;
  /** PyTorch's shape (OIHW for convs, [out, in] for the FC). */
  readonly shape: readonly number[];
  /** `parameter` counts in `model.parameters()`; `buffer` is a running statistic. */
  readonly kind: 'parameter' | 'buffer';
  /** False for buffers and for `features.weight`, which insightface fixes at 1. */
  readonly trainable: boolean;
  readonly layout: TensorLayout;
  readonly initializer: Initializer;
}

function batchNorm(prefix: string, channels: number, scaleTrainable = true): StateDictEntry[] {
  return [
    { name: `${prefix}.weight`, shape: [channels], kind: 'parameter', trainable: scaleTrainable, layout: 'vector', initializer: 'ones' },
    { name: `${prefix}.bias`, shape: [channels], kind: 'parameter', trainable: true, layout: 'vector', initializer: 'zeros' },
    { name: `${prefix}.running_mean`, shape: [channels], kind: 'buffer', trainable: false, layout: 'vector', initializer: 'zeros' },
    { name: `${prefix}.running_var`, shape: [channels], kind: 'buffer', trainable: false, layout: 'vector', initializer: 'ones' },
  ];
}

function conv(name: string, input: number, output: number, kernel: number): StateDictEntry {
  return { name, shape: [output, input, kernel, kernel], kind: 'parameter', trainable: true, layout: 'conv', initializer: 'conv-normal' };
}

function prelu(name: string, channels: number): StateDictEntry {
  return { name, shape: [channels], kind: 'parameter', trainable: true, layout: 'vector', initializer: 'prelu' };
}

/**
 * The ordered PyTorch `state_dict` of an insightface IResNet, as data: names, shapes and kinds,
 * without allocating a single weight (so r1.2k can be described and counted in microseconds).
 * `num_batches_tracked` is left out, as in insightface's released checkpoints.
 *
 * @example
 * import { iresnetStateDictSpec } from '@bigface/resnet-zoo';
 * iresnetStateDictSpec('r18')[0]; // { name: 'conv1.weight', shape: [64, 3, 3, 3], kind: 'parameter', ... }
 */
export function iresnetStateDictSpec(architecture: string | IResNetOptions | IResNetConfig): StateDictEntry[] {
  const config = isResolved(architecture) ? architecture : resolveIResNetConfig(architecture);
  const entries: StateDictEntry[] = [
    conv('conv1.weight', 3, config.stemWidth, 3),
    ...batchNorm('bn1', config.stemWidth),
    prelu('prelu.weight', config.stemWidth),
  ];
  let inputs = config.stemWidth;
  config.layers.forEach((blocks, stage) => {
    const planes = config.widths[stage]!;
    for (let block = 0; block < blocks; block++) {
      const prefix = `layer${stage + 1}.${block}`;
      entries.push(
        ...batchNorm(`${prefix}.bn1`, inputs),
        conv(`${prefix}.conv1.weight`, inputs, planes, 3),
        ...batchNorm(`${prefix}.bn2`, planes),
        prelu(`${prefix}.prelu.weight`, planes),
        conv(`${prefix}.conv2.weight`, planes, planes, 3),
        ...batchNorm(`${prefix}.bn3`, planes),
      );
      // Every stage starts with stride 2, so its first block always has a downsample branch.
      if (block === 0) {
        entries.push(conv(`${prefix}.downsample.0.weight`, inputs, planes, 1), ...batchNorm(`${prefix}.downsample.1`, planes));
      }
      inputs = planes;
    }
  });
  const fcInputs = inputs * config.finalHeight * config.finalWidth;
  entries.push(
    ...batchNorm('bn2', inputs),
    { name: 'fc.weight', shape: [config.embeddingSize, fcInputs], kind: 'parameter', trainable: true, layout: 'linear', initializer: 'linear-weight' },
    { name: 'fc.bias', shape: [config.embeddingSize], kind: 'parameter', trainable: true, layout: 'vector', initializer: 'linear-bias' },
    ...batchNorm('features', config.embeddingSize, false),
  );
  return entries;
}

export function isResolved(value: unknown): value is IResNetConfig {
  return typeof value === 'object' && value !== null && 'stemWidth' in value && 'finalHeight' in value;
}
