import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BigFaceError } from './errors';

/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length
 * N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {..}}`,
 * then the tensor bytes (little-endian, row-major), contiguous, without holes or overlaps.
 */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export type SafetensorsData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** F16 and BF16 are widened to Float32Array; I64 is a BigInt64Array; BOOL a Uint8Array of 0/1. */
  data: SafetensorsData;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** What {@link writeSafetensors} accepts per tensor; `dtype` defaults from the array type (Float32Array → F32). */
export interface SafetensorsInput {
  dtype?: SafetensorsDtype;
  shape: readonly number[];
  data: SafetensorsData | readonly number[];
}

const BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** The reference implementation refuses headers over 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;

function fail(code: string, source: string, message: string): never {
  throw new BigFaceError(code, `safetensors '${source}': ${message}`);
}

/**
 * Parses safetensors bytes. Never reads outside `bytes`; any inconsistency is a BigFaceError
 * (SAFETENSORS_TRUNCATED, SAFETENSORS_BAD_HEADER, SAFETENSORS_BAD_OFFSETS) naming `source`.
 *
 * @example
 * const { tensors, metadata } = readSafetensors(readFileSync('model.safetensors'), 'model.safetensors');
 * tensors.get('conv1.weight'); // { dtype: 'F32', shape: [64, 3, 3, 3], data: Float32Array }
 */
export function readSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsFile {
  if (bytes.byteLength < 8) fail('SAFETENSORS_TRUNCATED', source, `${bytes.byteLength} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    fail('SAFETENSORS_BAD_HEADER', source, `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  }
  const n = Number(headerLength);
  if (8 + n > bytes.byteLength) {
    fail('SAFETENSORS_TRUNCATED', source, `header of ${n} bytes at offset 8 runs past the end of the ${bytes.byteLength}-byte file`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (error) {
    throw new BigFaceError('SAFETENSORS_BAD_HEADER', `safetensors '${source}': the header (bytes 8..${8 + n}) is not valid UTF-8 JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('SAFETENSORS_BAD_HEADER', source, 'the header must be a JSON object');
  }
  const dataStart = 8 + n;
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }> = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('SAFETENSORS_BAD_HEADER', source, '__metadata__ must be an object of strings');
      for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
        if (typeof text !== 'string') fail('SAFETENSORS_BAD_HEADER', source, `__metadata__.${key} must be a string, got ${typeof text}`);
        metadata[key] = text;
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) fail('SAFETENSORS_BAD_HEADER', source, `tensor '${name}' has no {dtype, shape, data_offsets} entry`);
    const dtype = info.dtype as SafetensorsDtype;
    if (typeof dtype !== 'string' || !(dtype in BYTES)) {
      fail('SAFETENSORS_BAD_HEADER', source, `tensor '${name}' has unsupported dtype ${JSON.stringify(info.dtype)}; supported: ${Object.keys(BYTES).join(', ')}`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail('SAFETENSORS_BAD_HEADER', source, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)}: expected non-negative integers`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail('SAFETENSORS_BAD_OFFSETS', source, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * BYTES[dtype];
    if (end < begin || end - begin !== expected) {
      fail('SAFETENSORS_BAD_OFFSETS', source, `tensor '${name}' (${dtype} [${shape}]) needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    if (end > dataLength) {
      fail('SAFETENSORS_TRUNCATED', source, `tensor '${name}' ends at byte ${dataStart + end} but the file has ${bytes.byteLength} bytes`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // The reference implementation requires the tensors to tile the data buffer exactly.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of sorted) {
    if (entry.begin !== cursor) {
      fail('SAFETENSORS_BAD_OFFSETS', source, `tensor '${entry.name}' starts at data offset ${entry.begin}, expected ${cursor} (${entry.begin < cursor ? 'overlap' : 'gap'})`);
    }
    cursor = entry.end;
  }
  if (cursor !== dataLength) {
    fail('SAFETENSORS_BAD_OFFSETS', source, `the tensors cover ${cursor} data bytes but the file has ${dataLength} after the header`);
  }
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of entries) {
    tensors.set(entry.name, {
      dtype: entry.dtype,
      shape: entry.shape,
      data: decode(entry.dtype, bytes.subarray(dataStart + entry.begin, dataStart + entry.end)),
    });
  }
  return { tensors, metadata };
}

/** Copies little-endian bytes into a fresh, aligned typed array (so the file buffer can be dropped). */
function decode(dtype: SafetensorsDtype, raw: Uint8Array): SafetensorsData {
  const copy = new Uint8Array(raw); // aligned copy
  switch (dtype) {
    case 'F64': return new Float64Array(copy.buffer);
    case 'F32': return new Float32Array(copy.buffer);
    case 'I64': return new BigInt64Array(copy.buffer);
    case 'I32': return new Int32Array(copy.buffer);
    case 'I16': return new Int16Array(copy.buffer);
    case 'I8': return new Int8Array(copy.buffer);
    case 'U8': return copy;
    case 'BOOL': return copy.map((b) => (b ? 1 : 0));
    case 'F16': {
      const halves = new Uint16Array(copy.buffer);
      const out = new Float32Array(halves.length);
      for (let i = 0; i < halves.length; i++) out[i] = float16ToFloat32(halves[i] as number);
      return out;
    }
    case 'BF16': {
      const halves = new Uint16Array(copy.buffer);
      const words = new Uint32Array(halves.length);
      for (let i = 0; i < halves.length; i++) words[i] = (halves[i] as number) << 16;
      return new Float32Array(words.buffer);
    }
  }
}

/** IEEE 754 binary16 bits → number (exact). */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** number → IEEE 754 binary16 bits, rounding to nearest, ties to even (subnormals, overflow to ±Inf, NaN). */
export function float32ToFloat16(value: number): number {
  const f = Math.fround(value);
  if (Number.isNaN(f)) return 0x7e00;
  const sign = f < 0 || Object.is(f, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(f);
  if (magnitude === Infinity) return sign | 0x7c00;
  if (magnitude === 0) return sign;
  // Work in units of the smallest subnormal half (2^-24): half = round(magnitude / unit) within the binade.
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent--; // guard log2 rounding
  if (2 ** (exponent + 1) <= magnitude) exponent++;
  if (exponent < -14) {
    const units = roundHalfEven(magnitude / 2 ** -24); // subnormal (may round up to the smallest normal: 1024)
    return sign | units;
  }
  let mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent++;
  }
  if (exponent > 15) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | mantissa;
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const difference = x - floor;
  if (difference > 0.5) return floor + 1;
  if (difference < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function inferDtype(data: SafetensorsInput['data']): SafetensorsDtype {
  if (data instanceof Float32Array || Array.isArray(data)) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  return 'U8';
}

function encode(name: string, dtype: SafetensorsDtype, data: SafetensorsInput['data'], count: number): Uint8Array {
  if (data.length !== count) {
    throw new BigFaceError('INVALID_ARGUMENT', `writeSafetensors: tensor '${name}' has ${data.length} values for a shape of ${count}`);
  }
  const values = data as ArrayLike<number | bigint>;
  const out = new Uint8Array(count * BYTES[dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const v = values[i] as number | bigint;
    switch (dtype) {
      case 'F64': view.setFloat64(i * 8, Number(v), true); break;
      case 'F32': view.setFloat32(i * 4, Number(v), true); break;
      case 'F16': view.setUint16(i * 2, float32ToFloat16(Number(v)), true); break;
      case 'BF16': {
        // Round-to-nearest-even on the upper 16 bits of the float32 (NaN kept quiet).
        const word = new Uint32Array(new Float32Array([Number(v)]).buffer)[0] as number;
        const rounded = Number.isNaN(Number(v)) ? 0x7fc0 : ((word + 0x7fff + ((word >>> 16) & 1)) >>> 16) & 0xffff;
        view.setUint16(i * 2, rounded, true);
        break;
      }
      case 'I64': view.setBigInt64(i * 8, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)), true); break;
      case 'I32': view.setInt32(i * 4, Number(v), true); break;
      case 'I16': view.setInt16(i * 2, Number(v), true); break;
      case 'I8': view.setInt8(i, Number(v)); break;
      case 'U8': view.setUint8(i, Number(v)); break;
      case 'BOOL': view.setUint8(i, Number(v) ? 1 : 0); break;
    }
  }
  return out;
}

/**
 * Serialises tensors to safetensors bytes, in the order given, the header padded with spaces to
 * a multiple of 8 bytes (as the reference writer does).
 *
 * @example
 * const bytes = writeSafetensors({ 'fc.weight': { shape: [2, 3], data: new Float32Array(6) } }, { step: '10' });
 */
export function writeSafetensors(
  tensors: Record<string, SafetensorsInput> | Map<string, SafetensorsInput>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const items = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, tensor] of items) {
    if (name === '__metadata__') throw new BigFaceError('INVALID_ARGUMENT', "writeSafetensors: '__metadata__' is reserved; pass metadata as the second argument");
    const dtype = tensor.dtype ?? inferDtype(tensor.data);
    if (!(dtype in BYTES)) throw new BigFaceError('INVALID_ARGUMENT', `writeSafetensors: tensor '${name}' has unsupported dtype '${dtype}'`);
    const shape = [...tensor.shape];
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new BigFaceError('INVALID_ARGUMENT', `writeSafetensors: tensor '${name}' has an invalid shape [${shape}]`);
    }
    const bytes = encode(name, dtype, tensor.data, shape.reduce((a, b) => a * b, 1));
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const padding = (8 - (headerBytes.byteLength % 8)) % 8;
  if (padding) headerBytes = encoder.encode((json += ' '.repeat(padding)));
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.byteLength;
  for (const chunk of chunks) {
    out.set(chunk, position);
    position += chunk.byteLength;
  }
  return out;
}

/** Reads a safetensors file. Errors name the path. */
export function loadSafetensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new BigFaceError('FILE_NOT_READABLE', `safetensors '${path}': cannot read the file: ${(error as Error).message}`, { cause: error });
  }
  return readSafetensors(bytes, path);
}

/**
 * Writes a safetensors file atomically: a temporary file in the same directory, fsync, rename,
 * fsync of the directory — a crash leaves either the old file or the new one, never half of one.
 */
export function saveSafetensors(
  path: string,
  tensors: Record<string, SafetensorsInput> | Map<string, SafetensorsInput>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, writeSafetensors(tensors, metadata));
}

/** Atomic file write (temp + fsync + rename + directory fsync), for checkpoints. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let descriptor: number | undefined;
  try {
    descriptor = openSync(temporary, 'w');
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(descriptor, bytes, written, bytes.byteLength - written);
    fsyncSync(descriptor);
    closeSync(descriptor);
    descriptor = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (descriptor !== undefined) closeSync(descriptor);
    rmSync(temporary, { force: true });
    throw new BigFaceError('FILE_NOT_WRITABLE', `cannot write '${path}': ${(error as Error).message}`, { cause: error });
  }
  try {
    const directory = openSync(dirname(path), 'r');
    fsyncSync(directory);
    closeSync(directory);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  }
}

const TF_DTYPE: Partial<Record<SafetensorsDtype, 'float32' | 'int32' | 'bool'>> = {
  F64: 'float32', F32: 'float32', F16: 'float32', BF16: 'float32', I32: 'int32', I16: 'int32', I8: 'int32', U8: 'int32', BOOL: 'bool',
};

/**
 * tfjs tensors from a parsed file (F64/F16/BF16 → float32; integer types → int32; I64 → int32
 * with a range check). The caller owns (disposes) the tensors.
 */
export function safetensorsToTensors(file: SafetensorsFile): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, tensor] of file.tensors) {
    if (tensor.dtype === 'I64') {
      const values = tensor.data as BigInt64Array;
      const ints = new Int32Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as bigint;
        if (v > 2147483647n || v < -2147483648n) {
          throw new BigFaceError('SAFETENSORS_INT64_RANGE', `safetensorsToTensors: '${name}'[${i}] = ${v} does not fit int32 (tfjs has no int64)`);
        }
        ints[i] = Number(v);
      }
      out[name] = tf.tensor(ints, tensor.shape, 'int32');
      continue;
    }
    const dtype = TF_DTYPE[tensor.dtype] ?? 'float32';
    const data = tensor.data instanceof Float64Array ? Float32Array.from(tensor.data) : (tensor.data as Float32Array | Int32Array | Uint8Array);
    out[name] = tf.tensor(dtype === 'int32' && !(data instanceof Int32Array) ? Int32Array.from(data as ArrayLike<number>) : data, tensor.shape, dtype);
  }
  return out;
}

/** Safetensors inputs from tfjs tensors (float32 → F32, int32 → I32, bool → BOOL); reads them synchronously. */
export function tensorsToSafetensors(tensors: Record<string, tf.Tensor>): Record<string, SafetensorsInput> {
  const out: Record<string, SafetensorsInput> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    const dtype: SafetensorsDtype = tensor.dtype === 'int32' ? 'I32' : tensor.dtype === 'bool' ? 'BOOL' : 'F32';
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32' && tensor.dtype !== 'bool') {
      throw new BigFaceError('INVALID_ARGUMENT', `tensorsToSafetensors: '${name}' has dtype ${tensor.dtype}; only float32, int32 and bool are stored`);
    }
    out[name] = { dtype, shape: tensor.shape, data: tensor.dataSync() as Float32Array | Int32Array | Uint8Array };
  }
  return out;
}
