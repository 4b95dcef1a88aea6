// Test helpers: the PyTorch reference in test-support/reference (see its README).
import { readFileSync } from 'node:fs';
import { tf } from '@bigface/backend';
import { readReferenceJson, readReferenceSafetensors, referenceFile } from '../../../test-support/reference';

export { referenceFile } from '../../../test-support/reference';

/** iresnet-quarter-1111.json: the architecture, an input (NCHW) and PyTorch's eval-mode output. */
export interface QuarterReference {
  layers: number[];
  widths: number[];
  embedding_size: number;
  input_nchw: number[];
  input_shape: [number, number, number, number];
  output: number[];
}

export const QUARTER_WEIGHTS = 'iresnet-quarter-1111.safetensors';

export function quarterReference(): QuarterReference {
  return readReferenceJson<QuarterReference>('iresnet-quarter-1111.json');
}

/**
 * IResNet options for the reference's architecture, all read from its JSON: insightface widths are
 * 64/128/256/512 times one multiplier, so the multiplier is widths[0] / 64 (tests then check that
 * all four widths come out as the file says); the input size is the JSON input's H × W.
 */
export function quarterOptions(reference: QuarterReference): { layers: number[]; widthMultiplier: number; embeddingSize: number; inputSize: [number, number] } {
  const [, , height, width] = reference.input_shape;
  return { layers: reference.layers, widthMultiplier: reference.widths[0]! / 64, embeddingSize: reference.embedding_size, inputSize: [height, width] };
}

/** "layers [1, 1, 1, 1], widths 16-128, 64-d" for test names. */
export function describeQuarter(reference: QuarterReference): string {
  return `layers [${reference.layers.join(', ')}], widths ${reference.widths[0]}-${reference.widths[3]}, ${reference.embedding_size}-d`;
}

/** The reference ONNX export's bytes. */
export function quarterOnnx(): Uint8Array {
  return readFileSync(referenceFile('iresnet-quarter-1111.onnx'));
}

/** The reference state_dict, read independently of the code under test (all tensors F32). */
export function quarterStateDict(): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, tensor] of readReferenceSafetensors(QUARTER_WEIGHTS).tensors) {
    if (!tensor.data) throw new Error(`${QUARTER_WEIGHTS}: tensor '${name}' is ${tensor.dtype}; the reference state_dict is all F32`);
    out.set(name, { shape: tensor.shape, data: tensor.data });
  }
  return out;
}

/** The reference input as an NHWC tensor (the file holds NCHW, as PyTorch). */
export function quarterInputNhwc(reference: QuarterReference): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(reference.input_nchw, reference.input_shape), [0, 2, 3, 1]));
}

/** max |actual - expected| / max |expected|: the relative error we report and bound. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let error = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    error = Math.max(error, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return error / scale;
}
