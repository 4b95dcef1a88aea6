import { tf } from '@bigface/backend';
import { FoldedIResNet } from './folded-iresnet';
import type { IResNet } from './iresnet';

/**
 * Folds BatchNorm into the layer before it, for inference (the BigFace deck does this before
 * submission): the stem BN, bn2/bn3 of every block and each downsample BN go into their conv (which
 * gains a bias), and the head BN (before the FC) and the `features` BN1d (after it) both go into the
 * FC. The pre-conv BN of each block (`bn1`) cannot be folded exactly into the 3x3 conv after it —
 * the conv zero-pads the *normalised* input — so it stays as a per-channel scale and shift.
 * The arithmetic runs in float64 and rounds once to float32. The source model is left untouched.
 *
 * @example
 * import { IResNet, foldBatchNorm } from '@bigface/resnet-zoo';
 * const folded = foldBatchNorm(model); // eval-mode forward, same output within float32 rounding
 * const embedding = folded.forward(images);
 */
export function foldBatchNorm(model: IResNet): FoldedIResNet {
  const { config } = model;
  const epsilon = config.batchNormEpsilon;
  const read = (name: string): Float32Array => model.variables.get(name)!.dataSync() as Float32Array;
  const affine = (prefix: string): { scale: Float64Array; shift: Float64Array } => {
    const gamma = read(`${prefix}.weight`);
    const beta = read(`${prefix}.bias`);
    const mean = read(`${prefix}.running_mean`);
    const variance = read(`${prefix}.running_var`);
    const scale = new Float64Array(gamma.length);
    const shift = new Float64Array(gamma.length);
    for (let c = 0; c < gamma.length; c++) {
      scale[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
      shift[c] = beta[c]! - mean[c]! * scale[c]!;
    }
    return { scale, shift };
  };
  const tensors = new Map<string, tf.Tensor>();
  const put = (name: string, data: ArrayLike<number>, shape: number[]): void => {
    tensors.set(name, tf.tensor(Float32Array.from(data), shape));
  };
  // conv (HWIO, output channel fastest) followed by BN: w' = w * scale[o], b = shift.
  const foldConv = (convName: string, bnPrefix: string, biasName: string): void => {
    const variable = model.variables.get(convName)!;
    const weight = read(convName);
    const { scale, shift } = affine(bnPrefix);
    const outputs = scale.length;
    const folded = new Float32Array(weight.length);
    for (let i = 0; i < weight.length; i++) folded[i] = weight[i]! * scale[i % outputs]!;
    tensors.set(convName, tf.tensor(folded, variable.shape));
    put(biasName, shift, [outputs]);
  };

  foldConv('conv1.weight', 'bn1', 'conv1.bias');
  put('prelu.weight', read('prelu.weight'), [config.stemWidth]);
  config.layers.forEach((blocks, stage) => {
    for (let block = 0; block < blocks; block++) {
      const prefix = `layer${stage + 1}.${block}`;
      const pre = affine(`${prefix}.bn1`);
      put(`${prefix}.bn1.scale`, pre.scale, [pre.scale.length]);
      put(`${prefix}.bn1.shift`, pre.shift, [pre.shift.length]);
      foldConv(`${prefix}.conv1.weight`, `${prefix}.bn2`, `${prefix}.conv1.bias`);
      put(`${prefix}.prelu.weight`, read(`${prefix}.prelu.weight`), [config.widths[stage]!]);
      foldConv(`${prefix}.conv2.weight`, `${prefix}.bn3`, `${prefix}.conv2.bias`);
      if (model.variables.has(`${prefix}.downsample.0.weight`)) {
        foldConv(`${prefix}.downsample.0.weight`, `${prefix}.downsample.1`, `${prefix}.downsample.0.bias`);
      }
    }
  });

  // Head: y = features(fc(bn2(x))). With bn2 = (s2, t2) per channel c (NHWC flatten: row i has
  // channel i % C) and features = (sf, tf) per output o:
  // W'[i, o] = W[i, o] * s2[c(i)] * sf[o];  b'[o] = (b[o] + sum_i W[i, o] * t2[c(i)]) * sf[o] + tf[o].
  const head = affine('bn2');
  const features = affine('features');
  const weight = read('fc.weight');
  const bias = read('fc.bias');
  const channels = head.scale.length;
  const outputs = config.embeddingSize;
  const rows = weight.length / outputs;
  const foldedWeight = new Float32Array(weight.length);
  const accumulated = Float64Array.from(bias);
  for (let i = 0; i < rows; i++) {
    const c = i % channels;
    const s = head.scale[c]!;
    const t = head.shift[c]!;
    for (let o = 0; o < outputs; o++) {
      const w = weight[i * outputs + o]!;
      foldedWeight[i * outputs + o] = w * s * features.scale[o]!;
      accumulated[o] = accumulated[o]! + w * t;
    }
  }
  tensors.set('fc.weight', tf.tensor(foldedWeight, [rows, outputs]));
  put(
    'fc.bias',
    accumulated.map((b, o) => b * features.scale[o]! + features.shift[o]!),
    [outputs],
  );
  return new FoldedIResNet(config, tensors);
}
