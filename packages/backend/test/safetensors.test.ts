import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  float16ToFloat32,
  float32ToFloat16,
  initBackend,
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
import { referenceFile } from '../../../test-support/reference';

const referencePath = referenceFile('iresnet-quarter-1111.safetensors');

/** Independent binary16 decoder: rebuild the float32 bit pattern instead of doing arithmetic. */
function halfBitsToFloat32ViaBits(h: number): number {
  const sign = (h >> 15) & 1;
  const exponent = (h >> 10) & 0x1f;
  let fraction = h & 0x3ff;
  const words = new Uint32Array(1);
  const floats = new Float32Array(words.buffer);
  if (exponent === 0x1f) words[0] = (sign << 31) | 0x7f800000 | (fraction << 13);
  else if (exponent === 0) {
    if (fraction === 0) words[0] = sign << 31;
    else {
      // Normalise the subnormal: shift until the hidden bit appears.
      let e = -14;
      while ((fraction & 0x400) === 0) {
        fraction <<= 1;
        e--;
      }
      words[0] = (sign << 31) | ((e + 127) << 23) | ((fraction & 0x3ff) << 13);
    }
  } else words[0] = (sign << 31) | ((exponent - 15 + 127) << 23) | (fraction << 13);
  return floats[0] as number;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (!isBigFaceError(error)) throw error;
    return error.code;
  }
  return undefined;
}

describe('safetensors', () => {
  it('decodes all 65536 binary16 patterns like an independent bit-level decoder, and re-encodes them exactly', () => {
    for (let h = 0; h < 65536; h++) {
      const value = float16ToFloat32(h);
      const expected = halfBitsToFloat32ViaBits(h);
      if (Number.isNaN(expected)) {
        expect(Number.isNaN(value)).toBe(true);
        continue;
      }
      expect(Object.is(value, expected)).toBe(true);
      expect(float32ToFloat16(value)).toBe(h);
    }
  });

  it('encodes float16 with round-to-nearest-even, overflow to infinity and subnormals', () => {
    // 1 + 2^-11 is halfway between 1 (mantissa 0, even) and 1 + 2^-10 (mantissa 1): rounds to 1.
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 is halfway between mantissa 1 and 2: rounds to the even 2.
    expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToFloat16(65504)).toBe(0x7bff); // largest half
    expect(float32ToFloat16(65520)).toBe(0x7c00); // halfway to 2^16 rounds up to infinity
    expect(float32ToFloat16(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16(2 ** -25)).toBe(0x0000); // halfway to 0 -> even (0)
    expect(float32ToFloat16(3 * 2 ** -25)).toBe(0x0002); // halfway between 1 and 2 units -> 2
    expect(float32ToFloat16(-0)).toBe(0x8000);
    expect(float32ToFloat16(NaN) & 0x7c00).toBe(0x7c00);
  });

  it('round-trips every dtype through bytes and through a file', () => {
    const rng = new Rng(1);
    const floats = Float32Array.from({ length: 12 }, () => rng.normal());
    const tensors = {
      f32: { shape: [3, 4], data: floats },
      f64: { shape: [2], data: new Float64Array([Math.PI, -1e300]) },
      f16: { dtype: 'F16' as const, shape: [4], data: new Float32Array([1, -2.5, 65504, 2 ** -24]) },
      bf16: { dtype: 'BF16' as const, shape: [3], data: new Float32Array([1, -3, 0.5]) },
      i64: { shape: [2], data: new BigInt64Array([-(2n ** 40n), 7n]) },
      i32: { shape: [3], data: new Int32Array([-5, 0, 2147483647]) },
      i16: { shape: [1], data: new Int16Array([-300]) },
      i8: { shape: [2], data: new Int8Array([-128, 127]) },
      u8: { shape: [2], data: new Uint8Array([0, 255]) },
      bool: { dtype: 'BOOL' as const, shape: [3], data: new Uint8Array([1, 0, 1]) },
      empty: { shape: [0, 5], data: new Float32Array(0) },
    };
    const bytes = writeSafetensors(tensors, { step: '7', note: 'hi' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const directory = mkdtempSync(join(tmpdir(), 'safetensors-'));
    const path = join(directory, 'all.safetensors');
    saveSafetensors(path, tensors, { step: '7', note: 'hi' });
    expect(readdirSync(directory)).toEqual(['all.safetensors']); // no temporary file left behind
    for (const parsed of [readSafetensors(bytes), loadSafetensors(path)]) {
      expect(parsed.metadata).toEqual({ step: '7', note: 'hi' });
      expect([...parsed.tensors.keys()]).toEqual(Object.keys(tensors));
      for (const [name, tensor] of Object.entries(tensors)) {
        const got = parsed.tensors.get(name)!;
        expect(got.shape).toEqual(tensor.shape);
        expect(Array.from(got.data as ArrayLike<number>)).toEqual(Array.from(tensor.data as ArrayLike<number>));
      }
      expect(parsed.tensors.get('f32')!.dtype).toBe('F32');
      expect(parsed.tensors.get('i64')!.data).toBeInstanceOf(BigInt64Array);
    }
  });

  it('reads the PyTorch-written reference checkpoint', () => {
    const { tensors } = loadSafetensors(referencePath);
    const conv1 = tensors.get('conv1.weight')!;
    expect(conv1).toMatchObject({ dtype: 'F32', shape: [16, 3, 3, 3] });
    expect(tensors.size).toBeGreaterThan(30);
    for (const [, tensor] of tensors) {
      if (tensor.dtype === 'F32') expect((tensor.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
    // insightface's BN buffers come along with the parameters.
    expect([...tensors.keys()].some((name) => name.endsWith('running_mean'))).toBe(true);
  });

  it('turns hostile bytes into BigFaceErrors naming the problem, never an out-of-bounds read', () => {
    const good = writeSafetensors({ a: { shape: [2], data: new Float32Array([1, 2]) }, b: { shape: [1], data: new Int32Array([3]) } });
    const withHeader = (header: unknown, dataBytes = 8) => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    expect(codeOf(() => readSafetensors(new Uint8Array(5), 'x.safetensors'))).toBe('SAFETENSORS_TRUNCATED');
    expect(codeOf(() => readSafetensors(good.subarray(0, 20)))).toBe('SAFETENSORS_TRUNCATED');
    expect(codeOf(() => readSafetensors(good.subarray(0, good.length - 1)))).toBe('SAFETENSORS_TRUNCATED');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
    expect(codeOf(() => readSafetensors(huge))).toBe('SAFETENSORS_BAD_HEADER');
    expect(codeOf(() => readSafetensors(withHeader([1, 2])))).toBe('SAFETENSORS_BAD_HEADER');
    expect(codeOf(() => readSafetensors(withHeader({ a: { dtype: 'Q8', shape: [1], data_offsets: [0, 1] } }, 1)))).toBe('SAFETENSORS_BAD_HEADER');
    expect(codeOf(() => readSafetensors(withHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4)))).toBe('SAFETENSORS_BAD_HEADER');
    expect(codeOf(() => readSafetensors(withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4)))).toBe('SAFETENSORS_BAD_OFFSETS');
    expect(codeOf(() => readSafetensors(withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4)))).toBe('SAFETENSORS_TRUNCATED');
    // Overlap: two tensors on the same bytes.
    expect(codeOf(() => readSafetensors(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4)))).toBe('SAFETENSORS_BAD_OFFSETS');
    // Gap: bytes no tensor claims.
    expect(codeOf(() => readSafetensors(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8)))).toBe('SAFETENSORS_BAD_OFFSETS');
    const message = (() => {
      try {
        readSafetensors(withHeader({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), 'model.safetensors');
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toMatch(/model\.safetensors.*tensor 'w'.*needs 12 bytes/);
    const invalidUtf8 = new Uint8Array(12);
    new DataView(invalidUtf8.buffer).setBigUint64(0, 4n, true);
    invalidUtf8.set([0xff, 0xfe, 0xfd, 0xfc], 8);
    expect(codeOf(() => readSafetensors(invalidUtf8))).toBe('SAFETENSORS_BAD_HEADER');
  });

  it('survives 500 seeded random mutations and truncations with BigFaceErrors only', () => {
    const base = writeSafetensors({ a: { shape: [4, 2], data: new Float32Array(8) }, b: { dtype: 'F16', shape: [3], data: new Float32Array(3) } }, { k: 'v' });
    const rng = new Rng(99);
    let rejected = 0;
    for (let trial = 0; trial < 500; trial++) {
      let bytes = new Uint8Array(base);
      const flips = 1 + rng.int(4);
      for (let f = 0; f < flips; f++) bytes[rng.int(bytes.length)] = rng.int(256);
      if (rng.bernoulli(0.3)) bytes = bytes.subarray(0, rng.int(bytes.length));
      if (codeOf(() => readSafetensors(bytes)) !== undefined) rejected++;
    }
    expect(rejected).toBeGreaterThan(50);
  });

  it('converts to and from tf tensors without leaks (I64 range-checked)', async () => {
    await initBackend({ backend: 'cpu' });
    const before = tf.memory().numTensors;
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const b = tf.tensor1d([5, -6], 'int32');
    const parsed = readSafetensors(writeSafetensors(tensorsToSafetensors({ a, b })));
    const back = safetensorsToTensors(parsed);
    expect(back.a!.arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(back.b!.dtype).toBe('int32');
    expect(back.b!.arraySync()).toEqual([5, -6]);
    tf.dispose([a, b, ...Object.values(back)]);
    expect(tf.memory().numTensors).toBe(before);
    const tooBig = readSafetensors(writeSafetensors({ x: { shape: [1], data: new BigInt64Array([2n ** 40n]) } }));
    expect(codeOf(() => safetensorsToTensors(tooBig))).toBe('SAFETENSORS_INT64_RANGE');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the path when a file cannot be read', () => {
    const directory = mkdtempSync(join(tmpdir(), 'safetensors-'));
    const path = join(directory, 'broken.safetensors');
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    expect(() => loadSafetensors(path)).toThrow(/broken\.safetensors/);
    expect(() => loadSafetensors(join(directory, 'missing.safetensors'))).toThrow(/missing\.safetensors.*cannot read/);
    expect(readFileSync(path).length).toBe(3);
  });
});
