import { assertArgument, FUSED_KERNELS, hasFusedKernel, tf } from '@bigface/backend';
import type { IResNetConfig } from './resolve-iresnet-config';

/**
 * conv + bias (+ PReLU) as the FusedConv2D kernel itself rather than tf.fused.conv2d: the folded model
 * is inference-only (no gradient flows through it; FusedConv2D has none registered), and the op's
 * custom-gradient wrapper cost ~50 µs a call — ~7 ms of the r240's batch-1 forward (124 such convs).
 */
function fusedConv(x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor, strides: number, pad: number | 'valid', alpha?: tf.Tensor): tf.Tensor4D {
  const inputs: tf.NamedTensorMap = alpha ? { x, filter, bias, preluActivationWeights: alpha } : { x, filter, bias };
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined, activation: alpha ? 'prelu' : 'linear', leakyreluAlpha: 0.2 };
  return tf.engine().runKernel('FusedConv2D', inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor4D;
}

/**
 * An IResNet with its BatchNorms folded away (made by {@link foldBatchNorm}): inference only.
 * `tensors` holds, by name: `conv1.weight`/`conv1.bias` (HWIO), `prelu.weight`, and per block
 * `layerS.B.bn1.scale`/`.shift` (the unfoldable pre-conv BN as an affine), `conv1`/`conv2`
 * weight and bias, `prelu.weight`, and the downsample `downsample.0.weight`/`.bias`; then
 * `fc.weight` ([in, out] over NHWC-flattened features) and `fc.bias`.
 *
 * @example
 * const folded = foldBatchNorm(model);
 * const embedding = folded.forward(images); // [batch, embeddingSize]
 * folded.dispose();
 */
export class FoldedIResNet {
  readonly config: IResNetConfig;
  readonly tensors: ReadonlyMap<string, tf.Tensor>;

  private readonly units = new Map<number, { zeros: tf.Tensor1D; ones: tf.Tensor1D }>();

  constructor(config: IResNetConfig, tensors: ReadonlyMap<string, tf.Tensor>) {
    this.config = config;
    this.tensors = tensors;
    for (const [name, tensor] of tensors) {
      const channels = tensor.shape[0];
      if (name.endsWith('.bn1.scale') && !this.units.has(channels)) {
        this.units.set(channels, { zeros: tf.zeros([channels]), ones: tf.ones([channels]) });
      }
    }
  }

  private unit(channels: number): { zeros: tf.Tensor1D; ones: tf.Tensor1D } {
    return this.units.get(channels)!;
  }

  /** The eval-mode embedding of NHWC images `[batch, height, width, 3]`. */
  forward(input: tf.Tensor4D): tf.Tensor2D {
    const { config } = this;
    assertArgument(
      input.rank === 4 && input.shape[1] === config.inputHeight && input.shape[2] === config.inputWidth && input.shape[3] === 3,
      'INVALID_INPUT',
      () => `FoldedIResNet.forward: input must be [batch, ${config.inputHeight}, ${config.inputWidth}, 3] (NHWC), got [${input.shape.join(', ')}]`,
    );
    const t = (name: string): tf.Tensor => this.tensors.get(name)!;
    return tf.tidy(() => {
      let x = fusedConv(input, t('conv1.weight'), t('conv1.bias'), 1, 1, t('prelu.weight'));
      config.layers.forEach((blocks, stage) => {
        for (let block = 0; block < blocks; block++) {
          const prefix = `layer${stage + 1}.${block}`;
          const stride = block === 0 ? 2 : 1;
          // x * scale + shift through the single-pass batchNorm kernel (mean 0, variance 1, epsilon 0).
          let out = tf.batchNorm(
            x,
            this.unit(x.shape[3]).zeros,
            this.unit(x.shape[3]).ones,
            t(`${prefix}.bn1.shift`) as tf.Tensor1D,
            t(`${prefix}.bn1.scale`) as tf.Tensor1D,
            0,
          ) as tf.Tensor4D;
          out = fusedConv(out, t(`${prefix}.conv1.weight`), t(`${prefix}.conv1.bias`), 1, 1, t(`${prefix}.prelu.weight`));
          const identity = this.tensors.has(`${prefix}.downsample.0.weight`)
            ? fusedConv(x, t(`${prefix}.downsample.0.weight`), t(`${prefix}.downsample.0.bias`), stride, 'valid')
            : x;
          // conv2 + bias + the residual: one kernel where the backend fuses them, else two ops.
          x = hasFusedKernel(FUSED_KERNELS.conv2dResidual)
            ? (tf
                .engine()
                .runKernel(
                  FUSED_KERNELS.conv2dResidual,
                  { x: out, filter: t(`${prefix}.conv2.weight`), bias: t(`${prefix}.conv2.bias`), residual: identity },
                  { strides: stride, pad: 1, dataFormat: 'NHWC', dilations: 1 },
                ) as unknown as tf.Tensor4D)
            : tf.add(fusedConv(out, t(`${prefix}.conv2.weight`), t(`${prefix}.conv2.bias`), stride, 1), identity);
        }
      });
      const flat = tf.reshape(x, [input.shape[0], -1]) as tf.Tensor2D;
      return tf.fused.matMul({ a: flat, b: t('fc.weight') as tf.Tensor2D, bias: t('fc.bias') });
    }) as tf.Tensor2D;
  }

  /** Frees every tensor. */
  dispose(): void {
    for (const tensor of this.tensors.values()) tensor.dispose();
    for (const { zeros, ones } of this.units.values()) tf.dispose([zeros, ones]);
    this.units.clear();
  }
}
