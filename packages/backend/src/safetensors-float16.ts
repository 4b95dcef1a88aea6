// Half-precision conversions for safetensors F16 and BF16, on bits so that rounding is exact and fast.

const scratchFloat = new Float32Array(1);
const scratchWord = new Uint32Array(scratchFloat.buffer);

/**
 * IEEE 754 binary16 bits → its value (exact: every half is a float32).
 *
 * @example
 * float16ToFloat32(0x3c00); // 1
 * float16ToFloat32(0x0001); // 2 ** -24, the smallest subnormal
 */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * A value → IEEE 754 binary16 bits. The value is first rounded to float32 (as when converting a
 * float32 tensor), then to half with round-to-nearest, ties-to-even, including subnormals;
 * magnitudes from 65520 up become ±Infinity; NaN stays a (quiet) NaN.
 *
 * @example
 * float32ToFloat16(1); // 0x3c00
 * float32ToFloat16(1 + 2 ** -11); // 0x3c00 (a tie, rounded to the even mantissa)
 */
export function float32ToFloat16(value: number): number {
  scratchFloat[0] = value;
  const word = scratchWord[0] as number;
  const sign = (word >>> 16) & 0x8000;
  const exponent = (word >>> 23) & 0xff;
  const mantissa = word & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0);
  const halfExponent = exponent - 112; // rebias 127 → 15
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: the value in units of 2^-24 is full · 2^(exponent - 126); drop `shift` bits.
    const shift = 14 - halfExponent;
    if (shift > 25) return sign; // below half the smallest subnormal (float32 subnormals too)
    const full = mantissa | 0x800000;
    let units = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && units & 1)) units++; // may carry into the smallest normal
    return sign | units;
  }
  let bits = sign | (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && bits & 1)) bits++; // a carry may reach Infinity, as it should
  return bits;
}

/**
 * bfloat16 bits → its value (exact: the upper half of a float32).
 *
 * @example
 * bfloat16ToFloat32(0x3f80); // 1
 */
export function bfloat16ToFloat32(bits: number): number {
  scratchWord[0] = (bits & 0xffff) << 16;
  return scratchFloat[0] as number;
}

/**
 * A value → bfloat16 bits: rounded to float32, then round-to-nearest-even on the upper 16 bits
 * (overflow becomes ±Infinity, NaN stays a quiet NaN with its sign).
 *
 * @example
 * float32ToBfloat16(1); // 0x3f80
 */
export function float32ToBfloat16(value: number): number {
  scratchFloat[0] = value;
  const word = scratchWord[0] as number;
  if ((word & 0x7f800000) === 0x7f800000 && word & 0x7fffff) return ((word >>> 16) | 0x40) & 0xffff;
  // No overflow past 2^32: the largest finite word plus 0x8000 stays below ±Infinity's word + 0x8000.
  return ((word + 0x7fff + ((word >>> 16) & 1)) / 0x10000) & 0xffff;
}

let halfTable: Float32Array | undefined;

/** All 65536 halves decoded once (256 KiB), for reading large F16 tensors. */
export function float16Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) halfTable[bits] = float16ToFloat32(bits);
  }
  return halfTable;
}
