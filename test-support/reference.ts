// Test helpers for the PyTorch/insightface reference data in test-support/reference/ (see its README):
// where the files are (reference-dir.mjs, the one resolver shared with the benchmarks), JSON reading
// with the file named in errors, and a safetensors parse written independently of @bigface/backend.
import { readFileSync } from 'node:fs';
import { referenceFile } from './reference-dir.mjs';

export { REFERENCE_DIR, REPOSITORY_REFERENCE_DIR, referenceFile } from './reference-dir.mjs';

/** A reference JSON file, parsed; a parse error names the file. */
export function readReferenceJson<T>(name: string): T {
  const path = referenceFile(name);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new Error(
      `reference file '${path}' is not valid JSON (${(error as Error).message}): restore it from test-support/reference/ or regenerate it as its README says`,
    );
  }
}

/** tiny-bin.json: CPython's pickle.load of tiny.bin (scripts/reference/describe-verification-bin.py). */
export interface TinyBinReference {
  pairs: number;
  issame: boolean[];
  /** Image 2i and 2i + 1 are pair i; width and height from each JPEG's start-of-frame marker. */
  images: { bytes: number; sha256: string; width: number; height: number }[];
}

export function tinyBinReference(): TinyBinReference {
  return readReferenceJson<TinyBinReference>('tiny-bin.json');
}

/** One tensor of a safetensors file as the file stores it: little-endian bytes of `dtype`. */
export interface ReferenceTensor {
  dtype: string;
  shape: number[];
  /** The raw bytes of the tensor (a copy). */
  bytes: Uint8Array;
  /** The values, for F32 tensors (undefined for other dtypes: read `bytes`). */
  data?: Float32Array;
}

/** A safetensors file parsed by the format's definition alone (independent of the code under test). */
export interface ReferenceSafetensors {
  /** The header's length in bytes (after the 8-byte length field). */
  headerLength: number;
  /** `__metadata__` of the header, or {} when absent. */
  metadata: Record<string, string>;
  /** Tensors in the header's order. */
  tensors: Map<string, ReferenceTensor>;
  /** Bytes after the header (8 + headerLength onwards). */
  dataBytes: number;
}

/**
 * Reads a safetensors file as its definition says — an 8-byte little-endian header length, a JSON
 * header of `{ name: { dtype, shape, data_offsets } }`, then the data — with no code of
 * @bigface/backend, so that tests can hold the code under test against it.
 */
export function readSafetensorsIndependently(path: string): ReferenceSafetensors {
  const file = readFileSync(path);
  const headerLength = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  const tensors = new Map<string, ReferenceTensor>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = value as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const bytes = Uint8Array.from(file.subarray(8 + headerLength + begin, 8 + headerLength + end));
    tensors.set(name, { dtype, shape, bytes, ...(dtype === 'F32' ? { data: new Float32Array(bytes.buffer) } : {}) });
  }
  return { headerLength, metadata: (header.__metadata__ ?? {}) as Record<string, string>, tensors, dataBytes: file.length - 8 - headerLength };
}

/** {@link readSafetensorsIndependently} of a reference file by name. */
export function readReferenceSafetensors(name: string): ReferenceSafetensors {
  return readSafetensorsIndependently(referenceFile(name));
}
