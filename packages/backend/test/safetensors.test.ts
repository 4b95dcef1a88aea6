import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
  initBackend,
  int64ToInt32,
  isBigFaceError,
  loadSafetensors,
  readSafetensors,
  Rng,
  safetensorsToTensors,
  saveSafetensors,
  tensorsToSafetensors,
  tf,
  writeSafetensors,
} from '@bigface/backend';
import { readSafetensorsIndependently, referenceFile } from '../../../test-support/reference';

const referencePath = referenceFile('iresnet-quarter-1111.safetensors');
const CODES = new Set(['SAFETENSORS_TRUNCATED', 'SAFETENSORS_BAD_HEADER', 'SAFETENSORS_BAD_OFFSETS']);

// ---- independent formulations (bit patterns and brute-force nearest, not the arithmetic under test) ----

const words = new Uint32Array(1);
const floats = new Float32Array(words.buffer);
const floatOfWord = (word: number) => {
  words[0] = word;
  return floats[0]!;
};
const wordOfFloat = (value: number) => {
  floats[0] = value;
  return words[0]!;
};

/** binary16 → float32 by rebuilding the float32 bit pattern. */
function halfViaBits(h: number): number {
  const sign = (h >> 15) & 1;
  const exponent = (h >> 10) & 0x1f;
  let fraction = h & 0x3ff;
  if (exponent === 0x1f) return floatOfWord(((sign << 31) | 0x7f800000 | (fraction << 13)) >>> 0);
  if (exponent !== 0) return floatOfWord(((sign << 31) | ((exponent - 15 + 127) << 23) | (fraction << 13)) >>> 0);
  if (fraction === 0) return floatOfWord((sign << 31) >>> 0);
  let e = -14; // normalise the subnormal: shift until the hidden bit appears
  while ((fraction & 0x400) === 0) {
    fraction <<= 1;
    e--;
  }
  return floatOfWord(((sign << 31) | ((e + 127) << 23) | ((fraction & 0x3ff) << 13)) >>> 0);
}

/** Positive finite halves in bit order (monotonic), plus 2^16 standing for +Infinity when rounding. */
const HALVES = Float64Array.from({ length: 0x7c01 }, (_, bits) => (bits === 0x7c00 ? 65536 : halfViaBits(bits)));

/** The nearest half (ties to the even bit pattern) by binary search over every half. */
function nearestHalf(value: number): number {
  const x = Math.fround(value);
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(x);
  if (magnitude >= 65536) return sign | 0x7c00;
  let lo = 0;
  let hi = 0x7c00;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((HALVES[mid] as number) <= magnitude) lo = mid;
    else hi = mid;
  }
  const below = magnitude - (HALVES[lo] as number);
  const above = (HALVES[hi] as number) - magnitude;
  const bits = below < above ? lo : above < below ? hi : lo % 2 === 0 ? lo : hi;
  return sign | bits;
}

/** The nearest bfloat16 (ties to even) from the two truncation candidates, in float64. */
function nearestBfloat16(value: number): number {
  const word = wordOfFloat(value);
  const down = word >>> 16;
  const up = down + 1;
  const bitsValue = (bits: number) => ((bits & 0x7fff) === 0x7f80 ? Math.sign(value) * 2 ** 128 : floatOfWord((bits << 16) >>> 0));
  const below = Math.abs(Math.fround(value) - bitsValue(down));
  const above = Math.abs(bitsValue(up) - Math.fround(value));
  return below < above ? down : above < below ? up : down % 2 === 0 ? down : up;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (!isBigFaceError(error)) throw error; // a RangeError/TypeError fails the test
    return error.code;
  }
  return undefined;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

/** A file from a literal header and `dataBytes` zero bytes, with no padding (like a foreign writer). */
function fileWith(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function headerOf(bytes: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

describe('float16 and bfloat16', () => {
  it('decodes all 65536 half patterns like a bit-level decoder and re-encodes each exactly', () => {
    let mismatches = 0;
    for (let h = 0; h < 65536; h++) {
      const value = float16ToFloat32(h);
      const expected = halfViaBits(h);
      if (Number.isNaN(expected) ? !Number.isNaN(value) : !Object.is(value, expected)) mismatches++;
      else if (Number.isNaN(expected)) {
        const again = float32ToFloat16(value); // JS has one NaN: any NaN half comes back as a NaN half
        if ((again & 0x7c00) !== 0x7c00 || (again & 0x3ff) === 0) mismatches++;
      } else if (float32ToFloat16(value) !== h) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('rounds to the nearest half, ties to even, at every midpoint and its float32 neighbours', () => {
    let checked = 0;
    let mismatches = 0;
    for (let bits = 0; bits < 0x7c00; bits++) {
      // The midpoint of two neighbouring halves needs 12 significant bits: exact in float32.
      const midpoint = ((HALVES[bits] as number) + (HALVES[bits + 1] as number)) / 2;
      const justBelow = floatOfWord(wordOfFloat(midpoint) - 1);
      const justAbove = floatOfWord(wordOfFloat(midpoint) + 1);
      for (const value of [midpoint, justBelow, justAbove, -midpoint, -justAbove]) {
        checked++;
        if (float32ToFloat16(value) !== nearestHalf(value)) mismatches++;
      }
    }
    const rng = new Rng(16);
    for (let trial = 0; trial < 20_000; trial++) {
      const value = floatOfWord(rng.nextUint32());
      if (Number.isNaN(value)) continue;
      checked++;
      if (float32ToFloat16(value) !== nearestHalf(value)) mismatches++;
    }
    expect(checked).toBeGreaterThan(170_000);
    expect(mismatches).toBe(0);
    // Worked examples: 1 + 2^-11 lies halfway between 0x3c00 (even) and 0x3c01; 65520 halfway to 2^16 → Infinity.
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToFloat16(65519.99)).toBe(0x7bff);
    expect(float32ToFloat16(65520)).toBe(0x7c00);
    expect(float32ToFloat16(2 ** -25)).toBe(0x0000); // halfway to the smallest subnormal: even is 0
    expect(float32ToFloat16(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(float32ToFloat16(-Infinity)).toBe(0xfc00);
    expect(float32ToFloat16(NaN) & 0x7e00).toBe(0x7e00);
  });

  it('rounds bfloat16 to nearest even like a two-candidate search', () => {
    const rng = new Rng(17);
    let mismatches = 0;
    for (let trial = 0; trial < 20_000; trial++) {
      // Random words, and words exactly halfway (low 16 bits 0x8000) to exercise ties.
      const word = trial % 4 === 0 ? ((rng.nextUint32() & 0xffff0000) | 0x8000) >>> 0 : rng.nextUint32();
      const value = floatOfWord(word);
      if (Number.isNaN(value)) continue;
      if (float32ToBfloat16(value) !== nearestBfloat16(value)) mismatches++;
      if (!Object.is(bfloat16ToFloat32(word >>> 16), floatOfWord((word & 0xffff0000) >>> 0))) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(Number.isNaN(bfloat16ToFloat32(float32ToBfloat16(NaN)))).toBe(true);
  });
});

describe('readSafetensors / writeSafetensors', () => {
  const halfSpecials = [0, -0, 1, -2.5, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity, NaN, 1 + 2 ** -11, 0.1, 70000, 1e-8];
  const inputs = () => {
    const rng = new Rng(1);
    return {
      f32: { shape: [3, 4], data: Float32Array.from({ length: 12 }, () => rng.normal()) },
      f16: { dtype: 'F16' as const, shape: [halfSpecials.length], data: new Float32Array(halfSpecials) },
      bool: { dtype: 'BOOL' as const, shape: [3], data: new Uint8Array([1, 0, 1]) },
      f64: { shape: [2], data: new Float64Array([Math.PI, -1e300]) },
      bf16: { dtype: 'BF16' as const, shape: [4], data: new Float32Array([1, -3, 0.1, 3e38]) },
      i64: { shape: [3], data: new BigInt64Array([-(2n ** 62n), 7n, 2n ** 63n - 1n]) },
      i32: { shape: [3], data: new Int32Array([-5, 0, 2147483647]) },
      i16: { shape: [1, 1], data: new Int16Array([-300]) },
      i8: { shape: [2], data: new Int8Array([-128, 127]) },
      u8: { shape: [2], data: new Uint8Array([0, 255]) },
      scalar: { shape: [], data: new Float32Array([42]) },
      empty: { shape: [0, 5], data: new Float32Array(0) },
      fromNumbers: { dtype: 'I16' as const, shape: [2], data: [-7, 9] },
    };
  };

  it('round-trips every dtype, with F16/BF16 rounded as the independent formulation says', () => {
    const tensors = inputs();
    const bytes = writeSafetensors(tensors, { step: '7', note: 'hi', __proto__x: 'p' });
    const parsed = readSafetensors(bytes);
    const expectedDtypes: Record<string, string> = {
      f32: 'F32',
      f16: 'F16',
      bool: 'BOOL',
      f64: 'F64',
      bf16: 'BF16',
      i64: 'I64',
      i32: 'I32',
      i16: 'I16',
      i8: 'I8',
      u8: 'U8',
      scalar: 'F32',
      empty: 'F32',
      fromNumbers: 'I16',
    };
    expect(parsed.metadata).toEqual({ step: '7', note: 'hi', __proto__x: 'p' });
    expect([...parsed.tensors.keys()]).toEqual(Object.keys(tensors)); // header order = insertion order
    for (const [name, tensor] of Object.entries(tensors)) {
      const got = parsed.tensors.get(name)!;
      expect(got.shape, name).toEqual(tensor.shape);
      expect(got.dtype, name).toBe(expectedDtypes[name]);
      const expected = Array.from(tensor.data as ArrayLike<number>, (value) =>
        name === 'f16' ? halfViaBits(nearestHalf(value)) : name === 'bf16' ? floatOfWord((nearestBfloat16(value) << 16) >>> 0) : value,
      );
      expect(Array.from(got.data as ArrayLike<number>), name).toEqual(expected);
    }
    expect(Array.from(parsed.tensors.get('f16')!.data as Float32Array).slice(7)).toEqual([
      Infinity,
      -Infinity,
      NaN,
      1,
      Math.fround(0.0999755859375),
      Infinity,
      0,
    ]);
    expect(Object.is((parsed.tensors.get('f16')!.data as Float32Array)[1], -0)).toBe(true);
    expect(parsed.tensors.get('i64')!.data).toBeInstanceOf(BigInt64Array);
    expect(parsed.tensors.get('bool')!.dtype).toBe('BOOL');
    expect(parsed.tensors.get('u8')!.dtype).toBe('U8');
  });

  it('writes a parseable header in insertion order, padded to 8 bytes, with every tensor aligned', () => {
    const bytes = writeSafetensors(inputs(), { step: '7' });
    const { length, text } = headerOf(bytes);
    expect(length % 8).toBe(0);
    expect(text).toMatch(/^\{"__metadata__":\{"step":"7"\},"f32":/);
    const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    const names = Object.keys(header).filter((name) => name !== '__metadata__');
    expect(names).toEqual(Object.keys(inputs()));
    const size: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2, I8: 1, U8: 1, BOOL: 1 };
    const spans = names.map((name) => header[name]!).sort((a, b) => a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1]);
    let cursor = 0;
    for (const span of spans) {
      expect(span.data_offsets[0]).toBe(cursor);
      expect(span.data_offsets[0] % size[span.dtype]!).toBe(0);
      cursor = span.data_offsets[1];
    }
    expect(8 + length + cursor).toBe(bytes.length);
    // Widest first: the 8-byte tensors open the buffer.
    expect(header.f64!.data_offsets[0]).toBe(0);
    expect(header.i64!.data_offsets[0]).toBe(16);
  });

  it('returns views when aligned, copies when asked or when unaligned, and reads foreign unaligned layouts', () => {
    const bytes = writeSafetensors(inputs());
    const view = readSafetensors(bytes).tensors.get('f32')!.data;
    expect(view.buffer).toBe(bytes.buffer);
    const copied = readSafetensors(bytes, 'x', { copy: true }).tensors.get('f32')!.data;
    expect(copied.buffer).not.toBe(bytes.buffer);
    expect(Array.from(copied as Float32Array)).toEqual(Array.from(view as Float32Array));
    // The same file one byte into a buffer: nothing is aligned any more, the values are the same.
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const fromShifted = readSafetensors(shifted);
    for (const [name, tensor] of readSafetensors(bytes).tensors) {
      expect(Array.from(fromShifted.tensors.get(name)!.data as ArrayLike<number>), name).toEqual(Array.from(tensor.data as ArrayLike<number>));
    }
    // A writer that does not align: F32 at data offset 2 and I64 at 6, after a 1-element F16.
    const foreign = fileWith(
      {
        h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
        f: { dtype: 'F32', shape: [1], data_offsets: [2, 6] },
        i: { dtype: 'I64', shape: [1], data_offsets: [6, 14] },
      },
      14,
    );
    const dataStart = foreign.length - 14;
    const dataView = new DataView(foreign.buffer, dataStart);
    dataView.setUint16(0, 0x3c00, true);
    dataView.setFloat32(2, -1.5, true);
    dataView.setBigInt64(6, -123456789012n, true);
    const parsed = readSafetensors(foreign);
    expect(parsed.tensors.get('h')!.data).toEqual(new Float32Array([1]));
    expect(parsed.tensors.get('f')!.data).toEqual(new Float32Array([-1.5]));
    expect(parsed.tensors.get('i')!.data).toEqual(new BigInt64Array([-123456789012n]));
    // BOOL bytes other than 0/1 read as true; a Node Buffer works like a Uint8Array.
    const bools = fileWith({ b: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, 3);
    bools.set([0, 2, 255], bools.length - 3);
    expect(Array.from(readSafetensors(Buffer.from(bools)).tensors.get('b')!.data as Uint8Array)).toEqual([0, 1, 1]);
  });

  it('handles odd names: unicode, "__proto__", integer-like (kept in file order)', () => {
    const bytes = writeSafetensors(
      new Map([
        ['b', { shape: [1], data: new Float32Array([1]) }],
        ['__proto__', { shape: [1], data: new Float32Array([2]) }],
        ['7', { shape: [1], data: new Float32Array([3]) }],
        ['visage.\u00e9\u{1f600}', { shape: [1], data: new Float32Array([4]) }],
      ]),
    );
    const parsed = readSafetensors(bytes);
    expect([...parsed.tensors.keys()]).toEqual(['b', '__proto__', '7', 'visage.\u00e9\u{1f600}']);
    expect(Array.from(parsed.tensors.get('__proto__')!.data as Float32Array)).toEqual([2]);
    const metadata = readSafetensors(writeSafetensors({}, Object.fromEntries([['__proto__', 'x']]))).metadata;
    expect(Object.keys(metadata)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value).toBe('x');
  });

  it('refuses values a dtype cannot hold instead of wrapping them', () => {
    expect(codeOf(() => writeSafetensors({ a: { dtype: 'I8', shape: [1], data: [300] } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeSafetensors({ a: { dtype: 'I32', shape: [1], data: new Float32Array([0.5]) } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeSafetensors({ a: { dtype: 'I64', shape: [1], data: [NaN] } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeSafetensors({ a: { dtype: 'I64', shape: [1], data: [2n ** 63n] } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeSafetensors({ a: { shape: [2], data: new Float32Array(3) } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeSafetensors({ a: { shape: [-1], data: new Float32Array(0) } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeSafetensors({ a: { dtype: 'Q4' as 'F32', shape: [1], data: [1] } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeSafetensors({ __metadata__: { shape: [1], data: [1] } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeSafetensors({}, { step: 3 as unknown as string }))).toBe('INVALID_ARGUMENT');
    expect(messageOf(() => writeSafetensors({ w: { dtype: 'U8', shape: [2], data: [1, -1] } }))).toMatch(/'w'\[1\] = -1 cannot be stored as U8/);
    const wide = readSafetensors(writeSafetensors({ a: { dtype: 'I64', shape: [2], data: [-(2 ** 53), 5] } }));
    expect(wide.tensors.get('a')!.data).toEqual(new BigInt64Array([-(2n ** 53n), 5n]));
  });
});

describe('the PyTorch reference checkpoint', () => {
  it('lists every tensor in file order with the dtype, shape and bytes of an independent parse, all finite', () => {
    const { tensors, metadata } = loadSafetensors(referencePath);
    // The file read by the format's definition alone (8-byte length, JSON header, data), as Python's
    // json/struct would: names, order, dtypes, shapes and every byte of every tensor must agree.
    const independent = readSafetensorsIndependently(referencePath);
    expect([...tensors.keys()]).toEqual([...independent.tensors.keys()]);
    expect(metadata).toEqual(independent.metadata);
    // PyTorch's state_dict order of an insightface IResNet starts with the stem.
    expect([...tensors.keys()].slice(0, 6)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'prelu.weight']);
    let values = 0;
    for (const [name, tensor] of tensors) {
      const expected = independent.tensors.get(name)!;
      expect(tensor.dtype, name).toBe('F32'); // PyTorch wrote float32 throughout
      expect(expected.dtype, name).toBe('F32');
      expect(tensor.shape, name).toEqual(expected.shape);
      const data = tensor.data as Float32Array;
      expect(Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(Buffer.from(expected.bytes)), name).toBe(true);
      expect(data.every(Number.isFinite), name).toBe(true);
      values += data.length;
    }
    // Every byte after the header is some tensor's: (file size − 8 − header length) / 4 floats.
    expect(values).toBe(independent.dataBytes / 4);
  });

  it('writes it back with the same names and a byte-identical data section', () => {
    const file = readFileSync(referencePath);
    const original = readSafetensors(file, referencePath);
    const written = writeSafetensors(original.tensors);
    const again = readSafetensors(written);
    expect([...again.tensors.keys()]).toEqual([...original.tensors.keys()]);
    // All F32, so the layout keeps the file's order: the bytes after the header are PyTorch's bytes.
    const dataOf = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset + 8 + headerOf(bytes).length);
    expect(dataOf(written).equals(dataOf(file))).toBe(true);
  });
});

describe('hostile input', () => {
  const good = writeSafetensors({ a: { shape: [2], data: new Float32Array([1, 2]) }, b: { shape: [1], data: new Int32Array([3]) } });
  const one = (extra: object = {}) => ({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4], ...extra } });
  const cases: Array<[string, () => Uint8Array, string, RegExp?]> = [
    ['5 bytes', () => new Uint8Array(5), 'SAFETENSORS_TRUNCATED', /shorter than the 8-byte header length/],
    ['cut in the header', () => good.subarray(0, 20), 'SAFETENSORS_TRUNCATED', /header at offset 8 runs past the end/],
    ['cut in the data', () => good.subarray(0, good.length - 1), 'SAFETENSORS_TRUNCATED', /tensor '(a|b)' ends at file offset/],
    [
      'header length 2^60',
      () => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 2n ** 60n, true);
        return b;
      },
      'SAFETENSORS_BAD_HEADER',
      /over the 100000000-byte limit/,
    ],
    ['header length 2^64-1', () => new Uint8Array(16).fill(0xff), 'SAFETENSORS_BAD_HEADER'],
    [
      'not UTF-8',
      () => {
        const b = fileWith('{}', 0);
        b.set([0xff, 0xfe], 8);
        return b;
      },
      'SAFETENSORS_BAD_HEADER',
      /not valid UTF-8 JSON/,
    ],
    ['not JSON', () => fileWith('{"a": ', 0), 'SAFETENSORS_BAD_HEADER', /not valid UTF-8 JSON/],
    ['an array', () => fileWith([1, 2], 0), 'SAFETENSORS_BAD_HEADER', /must be a JSON object/],
    ['a string', () => fileWith('"x"', 0), 'SAFETENSORS_BAD_HEADER'],
    ['null', () => fileWith('null', 0), 'SAFETENSORS_BAD_HEADER'],
    ['leading space', () => fileWith(' {}', 0), 'SAFETENSORS_BAD_HEADER'],
    [
      'duplicate name',
      () => fileWith('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8),
      'SAFETENSORS_BAD_HEADER',
      /names 'w' twice at the top level/,
    ],
    [
      'duplicate name by escape',
      () => fileWith('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0077":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8),
      'SAFETENSORS_BAD_HEADER',
    ],
    [
      'duplicate field',
      () => fileWith('{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}', 4),
      'SAFETENSORS_BAD_HEADER',
      /'dtype' twice inside 'w'/,
    ],
    ['entry not an object', () => fileWith({ w: [1] }, 0), 'SAFETENSORS_BAD_HEADER', /tensor 'w' must be/],
    ['unknown dtype', () => fileWith(one({ dtype: 'Q8' }), 4), 'SAFETENSORS_BAD_HEADER', /tensor 'w' has dtype "Q8"/],
    ['dtype from Object.prototype', () => fileWith(one({ dtype: 'toString' }), 4), 'SAFETENSORS_BAD_HEADER'],
    ['negative dim', () => fileWith(one({ shape: [-1] }), 4), 'SAFETENSORS_BAD_HEADER', /tensor 'w' has shape \[-1\]/],
    ['fractional dim', () => fileWith(one({ shape: [1.5] }), 4), 'SAFETENSORS_BAD_HEADER'],
    ['shape not a list', () => fileWith(one({ shape: '1' }), 4), 'SAFETENSORS_BAD_HEADER'],
    ['huge shape', () => fileWith(one({ shape: [2 ** 40, 2 ** 40, 2 ** 40] }), 4), 'SAFETENSORS_BAD_OFFSETS'],
    ['metadata not strings', () => fileWith({ __metadata__: { step: 3 } }, 0), 'SAFETENSORS_BAD_HEADER', /__metadata__ 'step' must be a string/],
    ['metadata a list', () => fileWith({ __metadata__: ['a'] }, 0), 'SAFETENSORS_BAD_HEADER'],
    [
      'size mismatch',
      () => fileWith(one({ shape: [3], data_offsets: [0, 8] }), 8),
      'SAFETENSORS_BAD_OFFSETS',
      /tensor 'w' \(F32 \[3\]\) needs 12 bytes but its data_offsets \[0, 8\] span 8/,
    ],
    ['end before begin', () => fileWith(one({ data_offsets: [4, 0] }), 4), 'SAFETENSORS_BAD_OFFSETS'],
    ['negative offset', () => fileWith(one({ data_offsets: [-4, 0] }), 4), 'SAFETENSORS_BAD_OFFSETS'],
    ['three offsets', () => fileWith(one({ data_offsets: [0, 4, 8] }), 4), 'SAFETENSORS_BAD_OFFSETS'],
    ['offsets as strings', () => fileWith(one({ data_offsets: ['0', '4'] }), 4), 'SAFETENSORS_BAD_OFFSETS'],
    ['past the end', () => fileWith(one({ data_offsets: [4, 8] }), 4), 'SAFETENSORS_TRUNCATED', /tensor 'w' ends at file offset/],
    ['past 2^53', () => fileWith(one({ data_offsets: [2 ** 60, 2 ** 60 + 4] }), 4), 'SAFETENSORS_BAD_OFFSETS'],
    [
      'overlap',
      () => fileWith({ ...one(), v: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4),
      'SAFETENSORS_BAD_OFFSETS',
      /overlaps the tensor before it/,
    ],
    [
      'gap',
      () => fileWith(one({ data_offsets: [4, 8] }), 8),
      'SAFETENSORS_BAD_OFFSETS',
      /starts at data offset 4 \(file offset \d+\), expected 0: it leaves a gap of 4 bytes/,
    ],
    ['bytes left over', () => fileWith(one(), 6), 'SAFETENSORS_BAD_OFFSETS', /2 more bytes that no tensor claims/],
  ];
  it.each(cases)('%s → %s', (_, make, code, pattern) => {
    const bytes = make();
    expect(codeOf(() => readSafetensors(bytes, 'hostile.safetensors'))).toBe(code);
    const message = messageOf(() => readSafetensors(bytes, 'hostile.safetensors'));
    expect(message).toMatch(/^safetensors 'hostile\.safetensors': /);
    if (pattern) expect(message).toMatch(pattern);
  });

  it('accepts what the format allows: empty files, zero-size tensors sharing an offset', () => {
    expect(readSafetensors(fileWith('{}', 0)).tensors.size).toBe(0);
    const zeros = fileWith(
      {
        a: { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
        b: { dtype: 'I8', shape: [2, 0], data_offsets: [0, 0] },
        c: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
      },
      1,
    );
    expect([...readSafetensors(zeros).tensors.values()].map((t) => t.data.length)).toEqual([0, 0, 1]);
  });

  it('survives 600 seeded mutations (bytes, header text, truncation) with BigFaceErrors only', () => {
    const base = writeSafetensors(
      {
        a: { shape: [4, 2], data: new Float32Array(8) },
        b: { dtype: 'F16', shape: [3], data: new Float32Array(3) },
        c: { shape: [2], data: new BigInt64Array(2) },
      },
      { k: 'v' },
    );
    const headerEnd = 8 + headerOf(base).length;
    const rng = new Rng(99);
    const outcomes = new Map<string, number>();
    for (let trial = 0; trial < 600; trial++) {
      let bytes = new Uint8Array(base);
      const kind = trial % 3;
      if (kind === 0) {
        for (let f = 1 + rng.int(4); f > 0; f--) bytes[rng.int(bytes.length)] = rng.int(256);
      } else if (kind === 1) {
        // Inside the header: swap in JSON-significant characters so parsing gets past the syntax.
        for (let f = 1 + rng.int(3); f > 0; f--) bytes[8 + rng.int(headerEnd - 8)] = '0123456789,:[]{}"-'.charCodeAt(rng.int(18));
      } else {
        bytes = bytes.subarray(0, rng.int(bytes.length));
      }
      const code = codeOf(() => readSafetensors(bytes, 'fuzz')) ?? 'accepted';
      expect(code === 'accepted' || CODES.has(code), code).toBe(true);
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
    }
    // Every kind of rejection shows up, so the fuzz reaches past the JSON parser.
    expect([...outcomes.keys()].sort()).toEqual(['SAFETENSORS_BAD_HEADER', 'SAFETENSORS_BAD_OFFSETS', 'SAFETENSORS_TRUNCATED', 'accepted']);
  });
});

describe('files', () => {
  it('saves atomically (no temporary left, overwrites) and loads back', () => {
    const directory = mkdtempSync(join(tmpdir(), 'safetensors-'));
    const path = join(directory, 'all.safetensors');
    saveSafetensors(path, { a: { shape: [1], data: new Float32Array([1]) } });
    saveSafetensors(path, { b: { shape: [2], data: new Int32Array([2, 3]) } }, { step: '2' });
    expect(readdirSync(directory)).toEqual(['all.safetensors']);
    const loaded = loadSafetensors(path);
    expect([...loaded.tensors.keys()]).toEqual(['b']);
    expect(loaded.metadata).toEqual({ step: '2' });
    expect(Array.from(loaded.tensors.get('b')!.data as Int32Array)).toEqual([2, 3]);
  });

  it('says which function to call when given bytes for a path or a path for bytes, without dumping the bytes', () => {
    const bytes = writeSafetensors({ x: { shape: [3], data: Float32Array.of(1, 2, 3) } });
    const fromBytes = (() => {
      try {
        loadSafetensors(bytes as unknown as string);
      } catch (error) {
        return error as Error & { code: string };
      }
      return undefined;
    })();
    expect(fromBytes).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `loadSafetensors: expected a file path (string), got ${bytes.byteLength} bytes (a Uint8Array); to parse bytes already in memory call readSafetensors(bytes)`,
    });
    expect(() => readSafetensors('model.safetensors' as unknown as Uint8Array)).toThrow(
      /got the string 'model\.safetensors'; to read a file by its path call loadSafetensors\(path\)/,
    );
    expect(() => saveSafetensors(bytes as unknown as string, {})).toThrow(
      /saveSafetensors: expected a file path \(string\) first, got \[object Uint8Array\]; to get the bytes in memory call writeSafetensors/,
    );
  });

  it('names the path when a file cannot be read or written', () => {
    const directory = mkdtempSync(join(tmpdir(), 'safetensors-'));
    const path = join(directory, 'broken.safetensors');
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    expect(codeOf(() => loadSafetensors(path))).toBe('SAFETENSORS_TRUNCATED');
    expect(messageOf(() => loadSafetensors(path))).toMatch(/broken\.safetensors/);
    expect(codeOf(() => loadSafetensors(join(directory, 'missing.safetensors')))).toBe('FILE_NOT_READABLE');
    const nowhere = join(directory, 'no-such-directory', 'x.safetensors');
    expect(codeOf(() => saveSafetensors(nowhere, {}))).toBe('FILE_NOT_WRITABLE');
    expect(messageOf(() => saveSafetensors(nowhere, {}))).toMatch(/no-such-directory/);
    expect(readdirSync(directory)).toEqual(['broken.safetensors']);
    expect(readFileSync(path).length).toBe(3);
  });
});

describe('tf tensors', () => {
  it('round-trips float32, int32 and bool tensors without leaks', async () => {
    await initBackend({ backend: 'cpu' });
    const before = tf.memory().numTensors;
    const a = tf.tensor2d([
      [1, 2.5],
      [3, -4],
    ]);
    const b = tf.tensor1d([5, -6], 'int32');
    const c = tf.tensor1d([true, false, true], 'bool');
    const bytes = tensorsToSafetensors({ a, b, c }, { step: '3' });
    const parsed = readSafetensors(bytes);
    expect(parsed.metadata).toEqual({ step: '3' });
    expect([...parsed.tensors.values()].map((t) => t.dtype)).toEqual(['F32', 'I32', 'BOOL']);
    const back = safetensorsToTensors(bytes);
    expect(back.a!.arraySync()).toEqual([
      [1, 2.5],
      [3, -4],
    ]);
    expect(back.b!.dtype).toBe('int32');
    expect(back.b!.arraySync()).toEqual([5, -6]);
    expect(back.c!.dtype).toBe('bool');
    expect(back.c!.arraySync()).toEqual([1, 0, 1]);
    tf.dispose([a, b, c, ...Object.values(back)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('widens F16/BF16/F64 and small integers, range-checks I64, and leaks nothing on error', async () => {
    await initBackend({ backend: 'cpu' });
    const before = tf.memory().numTensors;
    const file = readSafetensors(
      writeSafetensors({
        h: { dtype: 'F16', shape: [2], data: [0.5, -2] },
        d: { shape: [1], data: new Float64Array([0.25]) },
        u: { shape: [2], data: new Uint8Array([0, 255]) },
        l: { shape: [2], data: new BigInt64Array([-5n, 2n ** 31n - 1n]) },
      }),
    );
    const tensors = safetensorsToTensors(file);
    expect(Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, [t.dtype, t.arraySync()]]))).toEqual({
      h: ['float32', [0.5, -2]],
      d: ['float32', [0.25]],
      u: ['int32', [0, 255]],
      l: ['int32', [-5, 2147483647]],
    });
    tf.dispose(Object.values(tensors));
    const tooBig = writeSafetensors({ ok: { shape: [1], data: new Float32Array([1]) }, big: { shape: [1], data: new BigInt64Array([2n ** 31n]) } });
    expect(codeOf(() => safetensorsToTensors(tooBig))).toBe('SAFETENSORS_INT64_RANGE');
    expect(messageOf(() => int64ToInt32(new BigInt64Array([0n, -(2n ** 31n) - 1n]), 'labels'))).toMatch(/'labels'\[1\] = -2147483649 does not fit int32/);
    expect(int64ToInt32(new BigInt64Array([-(2n ** 31n), 7n]))).toEqual(new Int32Array([-2147483648, 7]));
    const disposed = tf.scalar(1);
    disposed.dispose();
    expect(codeOf(() => tensorsToSafetensors({ disposed }))).toBe('INVALID_ARGUMENT');
    expect(tf.memory().numTensors).toBe(before);
  });
});
