import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
// This package owns tfjs-core; importing it here (not through ./index) keeps this file free of side effects.
import * as tf from '@tensorflow/tfjs-core';
import { BigFaceError } from './errors';
import { float16Table, float32ToBfloat16, float32ToFloat16 } from './safetensors-float16';

export { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from './safetensors-float16';

/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length
 * N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {..}}`,
 * then the tensor bytes (little-endian, row-major); the offsets are relative to the end of the
 * header and the tensors tile that buffer exactly, without holes or overlaps.
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
  /** In the order of the file's header. */
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** What {@link writeSafetensors} accepts per tensor; `dtype` defaults from the array type (Float32Array or number[] → F32). */
export interface SafetensorsInput {
  dtype?: SafetensorsDtype;
  shape: readonly number[];
  data: SafetensorsData | readonly number[] | readonly bigint[];
}

export interface ReadSafetensorsOptions {
  /**
   * Copy every tensor out of `bytes` (default false). Without it, tensors whose bytes are aligned
   * for their array type are views into `bytes` (no copy; they share its memory); unaligned ones,
   * F16/BF16 (widened) and BOOL with bytes other than 0/1 are always copied.
   */
  copy?: boolean;
}

const BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const DTYPES = Object.keys(BYTES).join(', ');
/** The reference implementation refuses headers over 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TRUNCATED_FIX = 'the file is incomplete (an interrupted download or copy?): fetch or save it again';
const CORRUPT_FIX = 'the file is not safetensors or its writer is broken: re-export it with safetensors.torch.save_file or saveSafetensors';

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(BYTES, value);
}

/** JSON for an error message, cut short so that a hostile header cannot make a huge message. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fail(code: string, source: string, message: string, fix: string, cause?: unknown): never {
  throw new BigFaceError(code, `safetensors '${source}': ${message}; ${fix}`, cause === undefined ? undefined : { cause });
}

/** Own enumerable data property, also for the key '__proto__' (which plain assignment would swallow). */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/**
 * Walks JSON text that JSON.parse already accepted: returns the top-level keys in file order and the
 * first key repeated within one object (JSON.parse silently keeps the last, hiding a second tensor).
 */
function scanKeys(text: string): { keys: string[]; duplicate?: { key: string; parent?: string } } {
  const keys: string[] = [];
  const stack: Array<{ keys: Set<string> | null; name?: string; last?: string }> = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j += 2;
        } else if (d === 0x22) break;
        else j++;
      }
      const value = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
      i = j + 1;
      const top = stack[stack.length - 1];
      if (top?.keys) {
        let k = i;
        while (isWhitespace(text.charCodeAt(k))) k++;
        if (text.charCodeAt(k) === 0x3a) {
          if (top.keys.has(value)) return { keys, duplicate: { key: value, parent: top.name } };
          top.keys.add(value);
          top.last = value;
          if (stack.length === 1) keys.push(value);
          i = k + 1;
        }
      }
      continue;
    }
    if (c === 0x7b || c === 0x5b) stack.push({ keys: c === 0x7b ? new Set() : null, name: stack[stack.length - 1]?.last });
    else if (c === 0x7d || c === 0x5d) stack.pop();
    i++;
  }
  return { keys };
}

/**
 * Parses safetensors bytes. Never reads outside `bytes`; any inconsistency is a BigFaceError naming
 * `source` and the tensor or byte offset: `SAFETENSORS_TRUNCATED` (the file ends early),
 * `SAFETENSORS_BAD_HEADER` (length over 100 MB, not UTF-8 JSON, not an object, duplicate names,
 * unknown dtype, bad shape, bad `__metadata__`), `SAFETENSORS_BAD_OFFSETS` (offsets that disagree
 * with dtype × shape, overlap, leave gaps or leave bytes over).
 *
 * @example
 * const { tensors, metadata } = readSafetensors(readFileSync('model.safetensors'), 'model.safetensors');
 * tensors.get('conv1.weight'); // { dtype: 'F32', shape: [64, 3, 3, 3], data: Float32Array }
 */
export function readSafetensors(bytes: Uint8Array, source = '<buffer>', options: ReadSafetensorsOptions = {}): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new BigFaceError(
      'INVALID_ARGUMENT',
      `readSafetensors: expected the file's bytes as a Uint8Array (or Buffer), got ${typeof bytes === 'string' ? `the string '${String(bytes).slice(0, 80)}'; to read a file by its path call loadSafetensors(path)` : Object.prototype.toString.call(bytes)}`,
    );
  }
  if (bytes.byteLength < 8) {
    fail('SAFETENSORS_TRUNCATED', source, `${bytes.byteLength} bytes is shorter than the 8-byte header length at offset 0`, TRUNCATED_FIX);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    fail('SAFETENSORS_BAD_HEADER', source, `the header length at offset 0 is ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit`, CORRUPT_FIX);
  }
  const n = Number(headerLength);
  const dataStart = 8 + n;
  if (dataStart > bytes.byteLength) {
    fail('SAFETENSORS_TRUNCATED', source, `the ${n}-byte header at offset 8 runs past the end of the ${bytes.byteLength}-byte file`, TRUNCATED_FIX);
  }
  let text: string;
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, dataStart));
    header = JSON.parse(text);
  } catch (error) {
    fail('SAFETENSORS_BAD_HEADER', source, `the header (bytes 8..${dataStart}) is not valid UTF-8 JSON (${(error as Error).message})`, CORRUPT_FIX, error);
  }
  // The reference reader requires the object to start at the first byte (padding goes after it).
  if (typeof header !== 'object' || header === null || Array.isArray(header) || !text.startsWith('{')) {
    fail('SAFETENSORS_BAD_HEADER', source, `the header (bytes 8..${dataStart}) must be a JSON object starting at offset 8`, CORRUPT_FIX);
  }
  const scan = scanKeys(text);
  if (scan.duplicate) {
    const where = scan.duplicate.parent === undefined ? 'at the top level' : `inside '${scan.duplicate.parent}'`;
    fail('SAFETENSORS_BAD_HEADER', source, `the header names '${scan.duplicate.key}' twice ${where}`, CORRUPT_FIX);
  }
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }> = [];
  const fields = header as Record<string, unknown>;
  for (const name of scan.keys) {
    const value = fields[name];
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail('SAFETENSORS_BAD_HEADER', source, `__metadata__ must be an object of strings, got ${show(value)}`, CORRUPT_FIX);
      }
      for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
        if (typeof entry !== 'string') fail('SAFETENSORS_BAD_HEADER', source, `__metadata__ '${key}' must be a string, got ${show(entry)}`, CORRUPT_FIX);
        setOwn(metadata, key, entry);
      }
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail('SAFETENSORS_BAD_HEADER', source, `tensor '${name}' must be {dtype, shape, data_offsets}, got ${show(value)}`, CORRUPT_FIX);
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info.dtype;
    if (!isDtype(dtype)) {
      fail(
        'SAFETENSORS_BAD_HEADER',
        source,
        `tensor '${name}' has dtype ${show(dtype)}, not one of ${DTYPES}`,
        'convert the tensor to a supported dtype before saving',
      );
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail('SAFETENSORS_BAD_HEADER', source, `tensor '${name}' has shape ${show(shape)}, not a list of non-negative integers`, CORRUPT_FIX);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail('SAFETENSORS_BAD_OFFSETS', source, `tensor '${name}' has data_offsets ${show(offsets)}, not [begin, end] with non-negative integers`, CORRUPT_FIX);
    }
    const [begin, end] = offsets as [number, number];
    // Computed in floating point: a huge shape gives a huge (or infinite) size that no offsets match.
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * BYTES[dtype];
    if (end < begin || end - begin !== expected) {
      fail(
        'SAFETENSORS_BAD_OFFSETS',
        source,
        `tensor '${name}' (${dtype} ${show(shape)}) needs ${expected} bytes but its data_offsets [${begin}, ${end}] span ${end - begin}`,
        CORRUPT_FIX,
      );
    }
    if (end > dataLength) {
      fail(
        'SAFETENSORS_TRUNCATED',
        source,
        `tensor '${name}' ends at file offset ${dataStart + end} (data_offsets [${begin}, ${end}]) but the file has ${bytes.byteLength} bytes`,
        TRUNCATED_FIX,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // The reference implementation requires the tensors, ordered by offset, to tile the buffer exactly.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of byOffset) {
    if (entry.begin !== cursor) {
      const problem = entry.begin < cursor ? 'overlaps the tensor before it' : `leaves a gap of ${entry.begin - cursor} bytes before it`;
      fail(
        'SAFETENSORS_BAD_OFFSETS',
        source,
        `tensor '${entry.name}' starts at data offset ${entry.begin} (file offset ${dataStart + entry.begin}), expected ${cursor}: it ${problem}`,
        CORRUPT_FIX,
      );
    }
    cursor = entry.end;
  }
  if (cursor !== dataLength) {
    fail(
      'SAFETENSORS_BAD_OFFSETS',
      source,
      `the tensors end at file offset ${dataStart + cursor} but the file has ${dataLength - cursor} more bytes that no tensor claims`,
      CORRUPT_FIX,
    );
  }
  const copy = options.copy ?? false;
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of entries) {
    const data = decode(entry.dtype, bytes, dataStart + entry.begin, (entry.end - entry.begin) / BYTES[entry.dtype], copy);
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data });
  }
  return { tensors, metadata };
}

type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => SafetensorsData;

const VIEW: Partial<Record<SafetensorsDtype, ViewConstructor>> = {
  F64: Float64Array,
  F32: Float32Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

/** The tensor at `bytes[start..]` as its array type: a view when aligned (and not `copy`), else an aligned copy. */
function decode(dtype: SafetensorsDtype, bytes: Uint8Array, start: number, count: number, copy: boolean): SafetensorsData {
  const size = BYTES[dtype];
  if (dtype === 'F16') {
    const table = float16Table();
    const out = new Float32Array(count);
    for (let i = 0, p = start; i < count; i++, p += 2) out[i] = table[(bytes[p] as number) | ((bytes[p + 1] as number) << 8)] as number;
    return out;
  }
  if (dtype === 'BF16') {
    // A bfloat16 is the upper half of a float32: write the word, read it back as a float.
    const words = new Uint32Array(count);
    for (let i = 0, p = start; i < count; i++, p += 2) words[i] = ((bytes[p] as number) << 16) | ((bytes[p + 1] as number) << 24);
    return new Float32Array(words.buffer);
  }
  if (dtype === 'BOOL') {
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + start, count);
    // PyTorch writes 0/1; anything else is read as true, like torch.frombuffer(...).bool().
    if (view.every((b) => b <= 1)) return copy ? view.slice() : view;
    return view.map((b) => (b ? 1 : 0));
  }
  const View = VIEW[dtype] as ViewConstructor;
  if (LITTLE_ENDIAN) {
    const aligned = (bytes.byteOffset + start) % size === 0;
    if (aligned && !copy) return new View(bytes.buffer, bytes.byteOffset + start, count);
    // Uint8Array.prototype.slice always copies (Buffer#slice would not) into a fresh, aligned buffer.
    const fresh = Uint8Array.prototype.slice.call(bytes, start, start + count * size);
    return new View(fresh.buffer, 0, count);
  }
  const source = new DataView(bytes.buffer, bytes.byteOffset + start, count * size);
  const out = new View(new ArrayBuffer(count * size), 0, count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F64':
        (out as Float64Array)[i] = source.getFloat64(i * 8, true);
        break;
      case 'F32':
        (out as Float32Array)[i] = source.getFloat32(i * 4, true);
        break;
      case 'I64':
        (out as BigInt64Array)[i] = source.getBigInt64(i * 8, true);
        break;
      case 'I32':
        (out as Int32Array)[i] = source.getInt32(i * 4, true);
        break;
      case 'I16':
        (out as Int16Array)[i] = source.getInt16(i * 2, true);
        break;
      default:
        (out as Int8Array | Uint8Array)[i] = dtype === 'I8' ? source.getInt8(i) : source.getUint8(i);
    }
  }
  return out;
}

/**
 * I64 values as an Int32Array (tfjs has no int64), or a `SAFETENSORS_INT64_RANGE` error naming the
 * first value outside int32.
 *
 * @example
 * int64ToInt32(new BigInt64Array([1n, -2n])); // Int32Array [1, -2]
 */
export function int64ToInt32(data: BigInt64Array, name = 'tensor'): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = data[i] as bigint;
    if (value > 2147483647n || value < -2147483648n) {
      throw new BigFaceError(
        'SAFETENSORS_INT64_RANGE',
        `'${name}'[${i}] = ${value} does not fit int32 (tfjs has no int64): store it as I32, or as F64 if it must be exact beyond 2^31`,
      );
    }
    out[i] = Number(value);
  }
  return out;
}

function inferDtype(data: SafetensorsInput['data']): SafetensorsDtype | undefined {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  if (Array.isArray(data)) return typeof data[0] === 'bigint' ? 'I64' : 'F32';
  return undefined;
}

const INTEGER_RANGE: Partial<Record<SafetensorsDtype, [number, number]>> = {
  I32: [-2147483648, 2147483647],
  I16: [-32768, 32767],
  I8: [-128, 127],
  U8: [0, 255],
};

/** Little-endian bytes of one tensor; integer dtypes refuse values they cannot hold instead of wrapping. */
function encode(name: string, dtype: SafetensorsDtype, data: SafetensorsInput['data']): Uint8Array {
  const count = data.length;
  const size = BYTES[dtype];
  if (LITTLE_ENDIAN && dtype !== 'BOOL' && inferDtype(data) === dtype && ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, count * size); // same layout: copied once, into the output
  }
  const out = new Uint8Array(count * size);
  const view = new DataView(out.buffer);
  const values = data as ArrayLike<number | bigint>;
  const range = INTEGER_RANGE[dtype];
  for (let i = 0; i < count; i++) {
    const value = values[i] as number | bigint;
    if (dtype === 'BOOL') {
      view.setUint8(i, value ? 1 : 0);
    } else if (dtype === 'I64') {
      if (typeof value === 'bigint') {
        if (value > 9223372036854775807n || value < -9223372036854775808n) badValue(name, dtype, i, value);
        view.setBigInt64(i * 8, value, true);
      } else {
        if (!Number.isInteger(value) || value < -(2 ** 63) || value >= 2 ** 63) badValue(name, dtype, i, value);
        view.setBigInt64(i * 8, BigInt(value), true);
      }
    } else if (range) {
      const number = Number(value);
      if (!Number.isInteger(number) || number < range[0] || number > range[1]) badValue(name, dtype, i, value);
      if (dtype === 'I32') view.setInt32(i * 4, number, true);
      else if (dtype === 'I16') view.setInt16(i * 2, number, true);
      else if (dtype === 'I8') view.setInt8(i, number);
      else view.setUint8(i, number);
    } else {
      const number = Number(value);
      if (dtype === 'F64') view.setFloat64(i * 8, number, true);
      else if (dtype === 'F32') view.setFloat32(i * 4, number, true);
      else if (dtype === 'F16') view.setUint16(i * 2, float32ToFloat16(number), true);
      else view.setUint16(i * 2, float32ToBfloat16(number), true);
    }
  }
  return out;
}

function badValue(name: string, dtype: SafetensorsDtype, index: number, value: number | bigint): never {
  throw new BigFaceError(
    'INVALID_ARGUMENT',
    `writeSafetensors: tensor '${name}'[${index}] = ${String(value)} cannot be stored as ${dtype}: round or clip the values, or choose a wider dtype`,
  );
}

/**
 * Serialises tensors to safetensors bytes. The header lists the tensors in the order given (so
 * {@link readSafetensors} returns them in that order) with `__metadata__` first, padded with spaces to
 * a multiple of 8 bytes; the data is laid out widest element first (8-, 4-, 2-, then 1-byte dtypes,
 * in the order given within each), so every tensor is aligned to its element size and can be read
 * without a copy. Integer dtypes refuse values out of their range (`INVALID_ARGUMENT`).
 *
 * @example
 * const bytes = writeSafetensors({ 'fc.weight': { shape: [2, 3], data: new Float32Array(6) } }, { step: '10' });
 */
export function writeSafetensors(tensors: Record<string, SafetensorsInput> | Map<string, SafetensorsInput>, metadata: Record<string, string> = {}): Uint8Array {
  // Pairs, not an object: an object (and JSON.stringify) would move integer-like names ('0', '7') first.
  const header: Array<[string, unknown]> = [];
  const metadataEntries = Object.entries(metadata);
  for (const [key, value] of metadataEntries) {
    if (typeof value !== 'string') {
      throw new BigFaceError(
        'INVALID_ARGUMENT',
        `writeSafetensors: metadata '${key}' is ${show(value)}; safetensors metadata values are strings: use String(value) or JSON.stringify`,
      );
    }
  }
  if (metadataEntries.length > 0) header.push(['__metadata__', Object.fromEntries(metadataEntries)]);
  const items = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const prepared = items.map(([name, tensor], index) => {
    if (name === '__metadata__')
      throw new BigFaceError('INVALID_ARGUMENT', "writeSafetensors: the name '__metadata__' is reserved; pass metadata as the second argument");
    if (typeof tensor !== 'object' || tensor === null) {
      throw new BigFaceError('INVALID_ARGUMENT', `writeSafetensors: tensor '${name}' must be { dtype?, shape, data }, got ${show(tensor)}`);
    }
    const dtype = tensor.dtype ?? inferDtype(tensor.data);
    if (!isDtype(dtype)) {
      throw new BigFaceError(
        'INVALID_ARGUMENT',
        `writeSafetensors: tensor '${name}' has dtype ${show(dtype)} (or data of an unknown type); use one of ${DTYPES}`,
      );
    }
    const shape = Array.isArray(tensor.shape) ? [...(tensor.shape as number[])] : [Number.NaN];
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new BigFaceError(
        'INVALID_ARGUMENT',
        `writeSafetensors: tensor '${name}' has shape ${show(tensor.shape)}; dimensions must be non-negative integers`,
      );
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (tensor.data?.length !== count) {
      throw new BigFaceError('INVALID_ARGUMENT', `writeSafetensors: tensor '${name}' has ${tensor.data?.length} values for shape [${shape}] (${count} values)`);
    }
    return { name, dtype, shape, bytes: encode(name, dtype, tensor.data), index };
  });
  const layout = [...prepared].sort((a, b) => BYTES[b.dtype] - BYTES[a.dtype] || a.index - b.index);
  const offsets = new Map<string, number>();
  let dataLength = 0;
  for (const tensor of layout) {
    offsets.set(tensor.name, dataLength);
    dataLength += tensor.bytes.byteLength;
  }
  for (const tensor of prepared) {
    const begin = offsets.get(tensor.name) as number;
    header.push([tensor.name, { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [begin, begin + tensor.bytes.byteLength] }]);
  }
  const json = new TextEncoder().encode(`{${header.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`);
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + headerLength + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let position = 8 + headerLength;
  for (const tensor of layout) {
    out.set(tensor.bytes, position);
    position += tensor.bytes.byteLength;
  }
  return out;
}

/**
 * Reads a safetensors file (see {@link readSafetensors}; the tensors may be views into the file's
 * bytes, which nothing else holds). A missing or unreadable file is `FILE_NOT_READABLE`.
 *
 * @example
 * const { tensors, metadata } = loadSafetensors('checkpoints/step-1000.safetensors');
 */
export function loadSafetensors(path: string, options: ReadSafetensorsOptions = {}): SafetensorsFile {
  if (typeof path !== 'string') {
    // Never put a file's bytes into a message: say what was given and which function takes it.
    const given =
      (path as unknown) instanceof Uint8Array
        ? `${(path as Uint8Array).byteLength} bytes (a ${Object.prototype.toString.call(path).slice(8, -1)}); to parse bytes already in memory call readSafetensors(bytes)`
        : Object.prototype.toString.call(path);
    throw new BigFaceError('INVALID_ARGUMENT', `loadSafetensors: expected a file path (string), got ${given}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new BigFaceError(
      'FILE_NOT_READABLE',
      `safetensors '${path}': cannot read the file (${(error as Error).message}); check the path and its permissions`,
      { cause: error },
    );
  }
  return readSafetensors(bytes, path, options);
}

/**
 * Writes a safetensors file (see {@link writeSafetensors}) atomically with {@link writeFileAtomic}:
 * a crash leaves either the old file or the new one, never half of one.
 *
 * @example
 * saveSafetensors('checkpoints/step-1000.safetensors', { 'fc.weight': { shape: [2, 3], data: weights } }, { step: '1000' });
 */
export function saveSafetensors(
  path: string,
  tensors: Record<string, SafetensorsInput> | Map<string, SafetensorsInput>,
  metadata: Record<string, string> = {},
): void {
  if (typeof path !== 'string') {
    throw new BigFaceError(
      'INVALID_ARGUMENT',
      `saveSafetensors: expected a file path (string) first, got ${Object.prototype.toString.call(path)}; to get the bytes in memory call writeSafetensors(tensors, metadata)`,
    );
  }
  writeFileAtomic(path, writeSafetensors(tensors, metadata));
}

/**
 * Atomic file write, for checkpoints: a uniquely named temporary file in the same directory, fsync,
 * rename over `path`, fsync of the directory. Errors are `FILE_NOT_WRITABLE` and leave no temporary file.
 *
 * @example
 * writeFileAtomic('checkpoints/step-1000.json', new TextEncoder().encode(JSON.stringify({ step: 1000 })));
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${threadId}-${randomBytes(6).toString('hex')}.tmp`);
  let descriptor: number | undefined;
  let created = false;
  try {
    descriptor = openSync(temporary, 'wx');
    created = true;
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(descriptor, bytes, written, bytes.byteLength - written);
    fsyncSync(descriptor);
    closeSync(descriptor);
    descriptor = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (descriptor !== undefined) closeSync(descriptor);
    if (created) rmSync(temporary, { force: true });
    throw new BigFaceError(
      'FILE_NOT_WRITABLE',
      `cannot write '${path}' (${(error as Error).message}); check that its directory exists, is writable and has space`,
      {
        cause: error,
      },
    );
  }
  try {
    const directory = openSync(dirname(path), 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  } catch {
    // Some platforms (Windows) and filesystems refuse fsync on directories; the rename is still atomic.
  }
}

/**
 * tfjs tensors from a parsed file or from safetensors bytes: F64/F32/F16/BF16 → float32 (F64
 * rounds), I32/I16/I8/U8 → int32, I64 → int32 with a range check (`SAFETENSORS_INT64_RANGE`),
 * BOOL → bool. All data is converted before the first tensor is made, so an error leaks nothing.
 * The caller owns (disposes) the tensors.
 *
 * @example
 * const weights = safetensorsToTensors(loadSafetensors('backbone.safetensors'));
 * weights['conv1.weight'].shape; // [64, 3, 3, 3]
 * tf.dispose(Object.values(weights));
 */
export function safetensorsToTensors(file: SafetensorsFile | Uint8Array, source?: string): Record<string, tf.Tensor> {
  const parsed = file instanceof Uint8Array ? readSafetensors(file, source) : file;
  const converted: Array<[string, Float32Array | Int32Array | Uint8Array, number[], 'float32' | 'int32' | 'bool']> = [];
  for (const [name, tensor] of parsed.tensors) {
    const { dtype, data, shape } = tensor;
    if (dtype === 'I64') converted.push([name, int64ToInt32(data as BigInt64Array, name), shape, 'int32']);
    else if (dtype === 'BOOL') converted.push([name, data as Uint8Array, shape, 'bool']);
    else if (dtype === 'F32' || dtype === 'F16' || dtype === 'BF16') converted.push([name, data as Float32Array, shape, 'float32']);
    else if (dtype === 'F64') converted.push([name, Float32Array.from(data as Float64Array), shape, 'float32']);
    else converted.push([name, data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>), shape, 'int32']);
  }
  const out: Record<string, tf.Tensor> = {};
  for (const [name, data, shape, dtype] of converted) setOwn(out, name, tf.tensor(data, shape, dtype));
  return out;
}

/**
 * safetensors bytes from tfjs tensors (float32 → F32, int32 → I32, bool → BOOL), read with
 * `dataSync`; the tensors are not disposed. Write them with {@link writeFileAtomic}, or use
 * {@link saveSafetensors} with `{ shape, data }` entries.
 *
 * @example
 * writeFileAtomic('head.safetensors', tensorsToSafetensors({ 'fc.weight': weight }, { step: '10' }));
 */
export function tensorsToSafetensors(tensors: Record<string, tf.Tensor> | Map<string, tf.Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const inputs = new Map<string, SafetensorsInput>();
  const items = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, tensor] of items) {
    if (typeof tensor?.dataSync !== 'function' || tensor.isDisposed) {
      throw new BigFaceError('INVALID_ARGUMENT', `tensorsToSafetensors: '${name}' is not a live tf.Tensor (disposed already?)`);
    }
    const dtype: SafetensorsDtype | undefined =
      tensor.dtype === 'float32' ? 'F32' : tensor.dtype === 'int32' ? 'I32' : tensor.dtype === 'bool' ? 'BOOL' : undefined;
    if (!dtype) {
      throw new BigFaceError(
        'INVALID_ARGUMENT',
        `tensorsToSafetensors: '${name}' has dtype ${tensor.dtype}; only float32, int32 and bool can be stored: cast it first`,
      );
    }
    inputs.set(name, { dtype, shape: tensor.shape, data: tensor.dataSync() as Float32Array | Int32Array | Uint8Array });
  }
  return writeSafetensors(inputs, metadata);
}
