// Test helpers: the PyTorch reference of /work/shared/reference (see its README).
import { readFileSync } from 'node:fs';
import { tf } from '@bigface/backend';

export { REFERENCE_DIR } from '../../../test-support/reference';
import { REFERENCE_DIR } from '../../../test-support/reference';

export interface QuarterReference {
  layers: number[];
  widths: number[];
  embedding_size: number;
  input_nchw: number[];
  input_shape: [number, number, number, number];
  output: number[];
}

export function quarterReference(): QuarterReference {
  return JSON.parse(readFileSync(`${REFERENCE_DIR}iresnet-quarter-1111.json`, 'utf8')) as QuarterReference;
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

/** A minimal safetensors parse (8-byte header length, JSON header, little-endian data), independent of the code under test. */
export function readReferenceSafetensors(path: string): Map<string, { shape: number[]; data: Float32Array }> {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = info.data_offsets;
    const raw = bytes.subarray(8 + headerLength + begin, 8 + headerLength + end);
    out.set(name, { shape: info.shape, data: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) });
  }
  return out;
}
