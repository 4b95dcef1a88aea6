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
