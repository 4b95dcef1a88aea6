import { BigFaceError, assertArgument, tf } from '@bigface/backend';
import type { OnnxAttribute, OnnxModelProto, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx/onnx-proto';

/** A value flowing through the graph; rank-4 activations are held NHWC (`channelsLast`). */
interface Value {
  tensor: tf.Tensor;
  channelsLast: boolean;
}

/** The operators {@link OnnxGraphModel} runs. */
export const SUPPORTED_ONNX_OPERATORS = [
  'Add',
  'BatchNormalization',
  'Conv',
  'Div',
  'Dropout',
  'Flatten',
  'Gemm',
  'GlobalAveragePool',
  'Identity',
  'MatMul',
  'Mul',
  'PRelu',
  'Relu',
  'Reshape',
  'Sub',
] as const;

/**
 * An imported ONNX CNN (made by {@link importOnnx}), run with tfjs ops in NHWC: the graph's NCHW
 * semantics are kept by holding every rank-4 activation channels-last, converting OIHW conv weights
 * to HWIO and broadcasting constants accordingly, and transposing back to NCHW before a `Flatten`
 * or `Reshape` (so the FC sees PyTorch's feature order). Covers insightface IResNets as PyTorch
 * exports them and the models {@link exportOnnx} writes.
 *
 * @example
 * import { readFileSync } from 'node:fs';
 * import { importOnnx } from '@bigface/resnet-zoo';
 * const model = importOnnx(readFileSync('glint360k_r50.onnx'));
 * const embedding = model.forward(images); // images NHWC [batch, 112, 112, 3]
 */
export class OnnxGraphModel {
  /** The graph inputs (excluding initializers), as declared: NCHW for images. */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  private readonly nodes: readonly OnnxNode[];
  private readonly constants = new Map<string, OnnxTensor>();
  private readonly cache = new Map<string, tf.Tensor>();

  constructor(model: OnnxModelProto) {
    for (const tensor of model.graph.initializers) this.constants.set(tensor.name, tensor);
    this.inputs = model.graph.inputs.filter((i) => !this.constants.has(i.name));
    this.outputs = model.graph.outputs;
    this.nodes = model.graph.nodes;
    for (const node of this.nodes) {
      if (node.opType === 'Constant') {
        const value = node.attributes.get('value');
        assertArgument(value?.type === 'tensor', 'ONNX_UNSUPPORTED', () => `importOnnx: Constant node '${node.name}' must carry a tensor 'value'`);
        this.constants.set(node.outputs[0]!, { ...value.value, name: node.outputs[0]! });
        continue;
      }
      assertArgument(
        node.domain === '' || node.domain === 'ai.onnx',
        'ONNX_UNSUPPORTED',
        () => `importOnnx: node '${node.name}' uses operator domain '${node.domain}'; only the default ONNX domain is supported`,
      );
      if (!(SUPPORTED_ONNX_OPERATORS as readonly string[]).includes(node.opType)) {
        throw new BigFaceError(
          'ONNX_UNSUPPORTED',
          `importOnnx: operator '${node.opType}' (node '${node.name}') is not supported: supported operators are ${SUPPORTED_ONNX_OPERATORS.join(', ')}`,
        );
      }
    }
    assertArgument(
      this.inputs.length === 1,
      'ONNX_UNSUPPORTED',
      () => `importOnnx: the graph must have exactly one non-constant input, found ${this.inputs.length}`,
    );
    // Convert the weights now (in the layout each will meet) so that forward only computes.
    const channelsLast = new Map<string, boolean>([[this.inputs[0]!.name, this.inputs[0]!.shape.length === 4]]);
    tf.tidy(() => {
      for (const node of this.nodes) {
        if (node.opType === 'Constant') continue;
        const layouts = node.inputs.filter((n) => channelsLast.has(n)).map((n) => channelsLast.get(n)!);
        const anyChannelsLast = layouts.some(Boolean);
        this.prepare(node, anyChannelsLast);
        const outputChannelsLast = ['Flatten', 'Reshape', 'Gemm', 'MatMul'].includes(node.opType) ? false : node.opType === 'Conv' || anyChannelsLast;
        for (const output of node.outputs) channelsLast.set(output, outputChannelsLast);
      }
    });
  }

  /**
   * Runs the graph on NHWC images `[batch, height, width, channels]` (the graph's NCHW input,
   * transposed) and returns its first output; rank-4 outputs come back NHWC.
   */
  forward(input: tf.Tensor): tf.Tensor {
    const declared = this.inputs[0]!;
    if (declared.shape.length === 4) {
      const [, channels, height, width] = declared.shape;
      const expected = [height, width, channels];
      assertArgument(
        input.rank === 4 && expected.every((d, i) => typeof d !== 'number' || d === input.shape[i + 1]),
        'INVALID_INPUT',
        () =>
          `OnnxGraphModel.forward: input must be NHWC [batch, ${expected.join(', ')}] for graph input '${declared.name}' NCHW [${declared.shape.join(', ')}], got [${input.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const values = new Map<string, Value>();
      values.set(declared.name, { tensor: input, channelsLast: input.rank === 4 });
      for (const node of this.nodes) {
        if (node.opType === 'Constant') continue;
        const result = this.run(node, values);
        values.set(node.outputs[0]!, result);
      }
      const output = values.get(this.outputs[0]!.name);
      assertArgument(output, 'INVALID_ONNX', () => `importOnnx: graph output '${this.outputs[0]!.name}' is never computed`);
      return output.tensor;
    });
  }

  /** Frees the converted weights. */
  dispose(): void {
    for (const tensor of this.cache.values()) tensor.dispose();
    this.cache.clear();
  }

  private constant(name: string): OnnxTensor | undefined {
    return this.constants.get(name);
  }

  /** A cached tensor derived from a constant (`kind` says how). */
  private cached(name: string, kind: string, make: (t: OnnxTensor) => tf.Tensor): tf.Tensor {
    const key = `${kind}:${name}`;
    let tensor = this.cache.get(key);
    if (!tensor) {
      const source = this.constant(name)!;
      tensor = tf.keep(make(source));
      this.cache.set(key, tensor);
    }
    return tensor;
  }

  private plain(t: OnnxTensor): tf.Tensor {
    return t.dataType === 1 ? tf.tensor(t.data, t.dims, 'float32') : tf.tensor(Array.from(t.data), t.dims, 'int32');
  }

  /** An NCHW-broadcasting constant, rearranged to broadcast over NHWC. */
  private channelsLastConstant(t: OnnxTensor): tf.Tensor {
    if (t.dims.length === 0) return this.plain(t);
    const dims = [...Array(Math.max(0, 4 - t.dims.length)).fill(1), ...t.dims];
    return tf.transpose(tf.reshape(this.plain(t), dims), [0, 2, 3, 1]);
  }

  private prepare(node: OnnxNode, channelsLast: boolean): void {
    const [, second, third] = node.inputs;
    if (['Add', 'Sub', 'Mul', 'Div', 'PRelu'].includes(node.opType)) {
      for (const name of node.inputs) {
        if (!this.constant(name)) continue;
        if (channelsLast) this.cached(name, 'channels-last', (t) => this.channelsLastConstant(t));
        else this.cached(name, 'plain', (t) => this.plain(t));
      }
    }
    switch (node.opType) {
      case 'Conv':
        this.cached(second!, 'hwio', (t) => tf.transpose(this.plain(t), [2, 3, 1, 0]));
        if (third) this.cached(third, 'plain', (t) => this.plain(t));
        break;
      case 'Gemm': {
        const transB = int(node, 'transB', 0);
        if (second && this.constant(second))
          this.cached(second, transB ? 'transposed' : 'plain', (t) => (transB ? tf.transpose(this.plain(t)) : this.plain(t)));
        if (third && this.constant(third)) this.cached(third, 'plain', (t) => this.plain(t));
        break;
      }
      case 'MatMul':
        for (const name of node.inputs) if (this.constant(name)) this.cached(name, 'plain', (t) => this.plain(t));
        break;
      case 'BatchNormalization':
        for (const name of node.inputs.slice(1)) this.cached(name, 'vector', (t) => tf.reshape(this.plain(t), [-1]));
        break;
      default:
        break;
    }
  }

  private run(node: OnnxNode, values: Map<string, Value>): Value {
    const get = (name: string): Value => {
      const value = values.get(name);
      if (value) return value;
      assertArgument(this.constant(name), 'INVALID_ONNX', () => `importOnnx: node '${node.name}' reads '${name}', which is not computed before it`);
      return { tensor: this.cached(name, 'plain', (t) => this.plain(t)), channelsLast: false };
    };
    // Brings an operand of an elementwise op to the layout of the activation it meets.
    const operand = (name: string, channelsLast: boolean): tf.Tensor => {
      if (values.has(name) || !channelsLast) return get(name).tensor;
      return this.cached(name, 'channels-last', (t) => this.channelsLastConstant(t));
    };
    const [a, b, c] = node.inputs;
    switch (node.opType) {
      case 'Identity':
      case 'Dropout':
        return get(a!);
      case 'Relu': {
        const x = get(a!);
        return { tensor: tf.relu(x.tensor), channelsLast: x.channelsLast };
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        const left = values.get(a!);
        const right = values.get(b!);
        const channelsLast = Boolean(left?.channelsLast || right?.channelsLast);
        const x = operand(a!, channelsLast);
        const y = operand(b!, channelsLast);
        const op = { Add: tf.add, Sub: tf.sub, Mul: tf.mul, Div: tf.div }[node.opType];
        return { tensor: op(x, y), channelsLast };
      }
      case 'PRelu': {
        const x = get(a!);
        return { tensor: tf.prelu(x.tensor, operand(b!, x.channelsLast)), channelsLast: x.channelsLast };
      }
      case 'Conv': {
        const x = get(a!);
        assertArgument(x.channelsLast, 'ONNX_UNSUPPORTED', () => `importOnnx: Conv '${node.name}' needs a rank-4 image input`);
        assertArgument(int(node, 'group', 1) === 1, 'ONNX_UNSUPPORTED', () => `importOnnx: grouped Conv '${node.name}' is not supported`);
        const autoPad = node.attributes.get('auto_pad');
        assertArgument(
          !autoPad || autoPad.value === 'NOTSET',
          'ONNX_UNSUPPORTED',
          () => `importOnnx: Conv '${node.name}' uses auto_pad; only explicit pads are supported`,
        );
        const [top, left, bottom, right] = ints(node, 'pads', [0, 0, 0, 0]);
        const strides = ints(node, 'strides', [1, 1]) as [number, number];
        const dilations = ints(node, 'dilations', [1, 1]) as [number, number];
        const pad: 'valid' | number | [[number, number], [number, number], [number, number], [number, number]] =
          top === left && top === bottom && top === right
            ? top === 0
              ? 'valid'
              : top!
            : [
                [0, 0],
                [top!, bottom!],
                [left!, right!],
                [0, 0],
              ];
        const filter = this.cached(b!, 'hwio', (t) => tf.transpose(this.plain(t), [2, 3, 1, 0])) as tf.Tensor4D;
        const bias = c ? this.cached(c, 'plain', (t) => this.plain(t)) : undefined;
        return { tensor: tf.fused.conv2d({ x: x.tensor as tf.Tensor4D, filter, strides, pad, dilations, bias }), channelsLast: true };
      }
      case 'BatchNormalization': {
        const x = get(a!);
        const [scale, offset, mean, variance] = node.inputs
          .slice(1)
          .map((name) => this.cached(name, 'vector', (t) => tf.reshape(this.plain(t), [-1])) as tf.Tensor1D);
        assertArgument(
          x.channelsLast || x.tensor.rank === 2,
          'ONNX_UNSUPPORTED',
          () => `importOnnx: BatchNormalization '${node.name}' supports rank 2 or rank 4 inputs`,
        );
        const epsilon = float(node, 'epsilon', 1e-5);
        return { tensor: tf.batchNorm(x.tensor, mean!, variance!, offset, scale, epsilon), channelsLast: x.channelsLast };
      }
      case 'GlobalAveragePool': {
        const x = get(a!);
        return { tensor: tf.mean(x.tensor, [1, 2], true), channelsLast: true };
      }
      case 'Flatten': {
        const x = nchw(get(a!));
        const axis = int(node, 'axis', 1);
        const resolved = axis < 0 ? axis + x.rank : axis;
        const outer = x.shape.slice(0, resolved).reduce((p, d) => p * d, 1);
        return { tensor: tf.reshape(x, [outer, -1]), channelsLast: false };
      }
      case 'Reshape': {
        const x = nchw(get(a!));
        const shapeTensor = this.constant(b!);
        assertArgument(shapeTensor, 'ONNX_UNSUPPORTED', () => `importOnnx: Reshape '${node.name}' needs a constant shape`);
        const shape = Array.from(shapeTensor.data, (d, i) => (d === 0 ? x.shape[i]! : d));
        return { tensor: tf.reshape(x, shape), channelsLast: false };
      }
      case 'MatMul': {
        const x = get(a!);
        return { tensor: tf.matMul(x.tensor as tf.Tensor2D, get(b!).tensor as tf.Tensor2D), channelsLast: false };
      }
      case 'Gemm': {
        const alpha = float(node, 'alpha', 1);
        const beta = float(node, 'beta', 1);
        const transA = int(node, 'transA', 0);
        const transB = int(node, 'transB', 0);
        let x = get(a!).tensor as tf.Tensor2D;
        if (transA) x = tf.transpose(x);
        let weight: tf.Tensor2D;
        if (this.constant(b!))
          weight = this.cached(b!, transB ? 'transposed' : 'plain', (t) => (transB ? tf.transpose(this.plain(t)) : this.plain(t))) as tf.Tensor2D;
        else weight = (transB ? tf.transpose(get(b!).tensor) : get(b!).tensor) as tf.Tensor2D;
        let y: tf.Tensor = tf.matMul(x, weight);
        if (alpha !== 1) y = tf.mul(y, alpha);
        if (c) y = tf.add(y, beta === 1 ? get(c).tensor : tf.mul(get(c).tensor, beta));
        return { tensor: y, channelsLast: false };
      }
      default:
        throw new BigFaceError('ONNX_UNSUPPORTED', `importOnnx: operator '${node.opType}' is not supported`);
    }
  }
}

function nchw(value: Value): tf.Tensor {
  return value.channelsLast ? tf.transpose(value.tensor, [0, 3, 1, 2]) : value.tensor;
}

function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attributes.get(name);
}

function int(node: OnnxNode, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a?.type === 'int' ? a.value : fallback;
}

function float(node: OnnxNode, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a?.type === 'float' ? a.value : fallback;
}

function ints(node: OnnxNode, name: string, fallback: number[]): number[] {
  const a = attribute(node, name);
  return a?.type === 'ints' ? a.value : fallback;
}
