import { foldBatchNorm } from './fold-batch-norm';
import { FoldedIResNet } from './folded-iresnet';
import type { IResNet } from './iresnet';
import { tfjsToTorch } from './layout';
import { encodeOnnxModel, ONNX_FLOAT, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx/onnx-proto';
import type { StateDictEntry } from './state-dict-spec';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** Name of the graph input, NCHW `[batch, 3, height, width]` (default `input`, as insightface). */
  inputName?: string;
  /** Name of the graph output `[batch, embeddingSize]` (default `embedding`). */
  outputName?: string;
  /** A fixed batch size, or `dynamic` (default): a symbolic `batch` axis. */
  batchSize?: number | 'dynamic';
}

const OPSET = 13;
const IR_VERSION = 8;

/**
 * Exports the BN-folded eval-mode backbone as an ONNX model (opset 13) with a dynamic batch axis,
 * in the layout insightface's model zoo and challenge servers use: NCHW input, OIHW conv weights,
 * `Conv`/`PRelu`/`Mul`/`Add`/`Flatten`/`Gemm` nodes. An {@link IResNet} is folded first (with
 * {@link foldBatchNorm}); the pre-conv BN of each block becomes a `Mul` + `Add`.
 *
 * @example
 * import { writeFileSync } from 'node:fs';
 * import { IResNet, exportOnnx } from '@bigface/resnet-zoo';
 * writeFileSync('r50.onnx', exportOnnx(model)); // then: onnxruntime InferenceSession.create('r50.onnx')
 */
export function exportOnnx(model: IResNet | FoldedIResNet, options: ExportOnnxOptions = {}): Uint8Array {
  const folded = model instanceof FoldedIResNet ? model : foldBatchNorm(model);
  try {
    return buildOnnx(folded, options);
  } finally {
    if (folded !== model) folded.dispose();
  }
}

function buildOnnx(folded: FoldedIResNet, options: ExportOnnxOptions): Uint8Array {
  const { config } = folded;
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'embedding';
  const batch = options.batchSize ?? 'dynamic';
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const read = (name: string): Float32Array => folded.tensors.get(name)!.dataSync() as Float32Array;
  const constant = (name: string, data: Float32Array, dims: number[]): string => {
    initializers.push({ name, dims, dataType: ONNX_FLOAT, data });
    return name;
  };
  const node = (opType: string, name: string, inputs: string[], attributes: Record<string, OnnxAttribute> = {}): string => {
    const output = `${name}_output`;
    nodes.push({ name, opType, domain: '', inputs, outputs: [output], attributes: new Map(Object.entries(attributes)) });
    return output;
  };
  // Per-channel vectors broadcast over NCHW as [C, 1, 1].
  const channelConstant = (name: string): string => {
    const data = read(name);
    return constant(name, Float32Array.from(data), [data.length, 1, 1]);
  };
  const conv = (x: string, weightName: string, biasName: string, stride: number): string => {
    const tensor = folded.tensors.get(weightName)!;
    const [kh, kw, inputs, outputs] = tensor.shape as [number, number, number, number];
    const entry: StateDictEntry = {
      name: weightName,
      shape: [outputs, inputs, kh, kw],
      kind: 'parameter',
      trainable: true,
      layout: 'conv',
      initializer: 'conv-normal',
    };
    constant(weightName, tfjsToTorch(entry, Float32Array.from(read(weightName)), config), [outputs, inputs, kh, kw]);
    constant(biasName, Float32Array.from(read(biasName)), [outputs]);
    const pad = (kh - 1) / 2;
    return node('Conv', weightName.replace(/\.weight$/, ''), [x, weightName, biasName], {
      kernel_shape: { type: 'ints', value: [kh, kw] },
      pads: { type: 'ints', value: [pad, pad, pad, pad] },
      strides: { type: 'ints', value: [stride, stride] },
      dilations: { type: 'ints', value: [1, 1] },
      group: { type: 'int', value: 1 },
    });
  };

  let x = conv(inputName, 'conv1.weight', 'conv1.bias', 1);
  x = node('PRelu', 'prelu', [x, channelConstant('prelu.weight')]);
  config.layers.forEach((blocks, stage) => {
    for (let block = 0; block < blocks; block++) {
      const prefix = `layer${stage + 1}.${block}`;
      const stride = block === 0 ? 2 : 1;
      let out = node('Mul', `${prefix}.bn1.mul`, [x, channelConstant(`${prefix}.bn1.scale`)]);
      out = node('Add', `${prefix}.bn1.add`, [out, channelConstant(`${prefix}.bn1.shift`)]);
      out = conv(out, `${prefix}.conv1.weight`, `${prefix}.conv1.bias`, 1);
      out = node('PRelu', `${prefix}.prelu`, [out, channelConstant(`${prefix}.prelu.weight`)]);
      out = conv(out, `${prefix}.conv2.weight`, `${prefix}.conv2.bias`, stride);
      const identity = folded.tensors.has(`${prefix}.downsample.0.weight`)
        ? conv(x, `${prefix}.downsample.0.weight`, `${prefix}.downsample.0.bias`, stride)
        : x;
      x = node('Add', `${prefix}.add`, [out, identity]);
    }
  });
  x = node('Flatten', 'flatten', [x], { axis: { type: 'int', value: 1 } });
  // Our FC is [in, out] over NHWC-flattened features; ONNX flattens NCHW, so reorder as PyTorch's fc.weight.
  const features = folded.tensors.get('fc.weight')!.shape[0];
  const fcEntry: StateDictEntry = {
    name: 'fc.weight',
    shape: [config.embeddingSize, features],
    kind: 'parameter',
    trainable: true,
    layout: 'linear',
    initializer: 'linear-weight',
  };
  constant('fc.weight', tfjsToTorch(fcEntry, Float32Array.from(read('fc.weight')), config), [config.embeddingSize, features]);
  constant('fc.bias', Float32Array.from(read('fc.bias')), [config.embeddingSize]);
  nodes.push({
    name: 'fc',
    opType: 'Gemm',
    domain: '',
    inputs: [x, 'fc.weight', 'fc.bias'],
    outputs: [outputName],
    attributes: new Map<string, OnnxAttribute>([
      ['alpha', { type: 'float', value: 1 }],
      ['beta', { type: 'float', value: 1 }],
      ['transB', { type: 'int', value: 1 }],
    ]),
  });
  const batchDim = batch === 'dynamic' ? 'batch' : batch;
  return encodeOnnxModel({
    irVersion: IR_VERSION,
    producerName: '@bigface/resnet-zoo',
    producerVersion: '0',
    opsetImports: [{ domain: '', version: OPSET }],
    graph: {
      name: `iresnet-${config.name}`,
      nodes,
      initializers,
      inputs: [{ name: inputName, elementType: ONNX_FLOAT, shape: [batchDim, 3, config.inputHeight, config.inputWidth] }],
      outputs: [{ name: outputName, elementType: ONNX_FLOAT, shape: [batchDim, config.embeddingSize] }],
    },
  });
}
