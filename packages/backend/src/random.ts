import { BigFaceError } from './errors';

/**
 * Seeded pseudo-random numbers for everything random in BigFace.
 *
 * Algorithm: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c),
 * 128 bits of state, period 2^128 − 1, seeded through SplitMix32 so that nearby seeds give
 * unrelated streams. Floats use the top 24 bits, so `next()` is a multiple of 2^-24 in [0, 1).
 * The whole state is four uint32 words: {@link Rng.getState} / {@link Rng.setState} make a run
 * resumable bit for bit.
 */
export interface RngState {
  algorithm: 'xoshiro128**';
  state: [number, number, number, number];
}

const TWO_POW_MINUS_24 = 1 / 16777216;

/** Mixes any number of integers (seed, epoch, sample index, ...) into one uint32 seed. */
export function hashSeed(...values: number[]): number {
  let h = 0x9e3779b9 ^ values.length;
  for (const value of values) {
    if (!Number.isFinite(value)) {
      throw new BigFaceError('INVALID_SEED', `hashSeed: every value must be a finite number, got ${value}`);
    }
    // Split into 32-bit halves so that seeds up to 2^53 keep all their bits.
    const low = value >>> 0;
    const high = Math.floor(value / 4294967296) >>> 0;
    h = mix32(h ^ low);
    h = mix32(h ^ high ^ 0x85ebca6b);
  }
  return h >>> 0;
}

function mix32(value: number): number {
  // SplitMix32 / murmur3 finaliser.
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function seedToNumber(seed: number | string): number {
  if (typeof seed === 'number') {
    if (!Number.isInteger(seed)) {
      throw new BigFaceError('INVALID_SEED', `Rng: seed must be an integer or a string, got ${seed}`);
    }
    return hashSeed(seed);
  }
  // FNV-1a over UTF-16 code units, then mixed.
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return hashSeed(h >>> 0, seed.length);
}

/**
 * A seeded random stream.
 *
 * @example
 * const rng = new Rng(42);
 * rng.next();          // float in [0, 1)
 * rng.int(10);         // integer in [0, 10)
 * rng.normal(0, 0.01); // Gaussian
 * const perSample = Rng.derive(42, epoch, index); // independent stream per (seed, epoch, index)
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number | string | RngState = 0) {
    if (typeof seed === 'object') {
      this.setState(seed);
      return;
    }
    let x = seedToNumber(seed);
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      return mix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A stream determined only by `(seed, ...keys)`: the same sample gets the same randomness on any thread. */
  static derive(seed: number, ...keys: number[]): Rng {
    return new Rng(hashSeed(seed, ...keys));
  }

  /** Next uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1), 24 bits of precision (exactly representable in float32). */
  next(): number {
    return (this.nextUint32() >>> 8) * TWO_POW_MINUS_24;
  }

  /** Uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, maxExclusive), without modulo bias. */
  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0 || maxExclusive > 4294967296) {
      throw new BigFaceError('INVALID_ARGUMENT', `Rng.int: maxExclusive must be an integer in [1, 2^32], got ${maxExclusive}`);
    }
    const limit = 4294967296 - (4294967296 % maxExclusive);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) return value % maxExclusive;
    }
  }

  /** Uniform integer in [low, high] (both inclusive). */
  intRange(low: number, high: number): number {
    return low + this.int(high - low + 1);
  }

  /** Gaussian sample (Box–Muller; one uniform pair per sample so the state stays four words). */
  normal(mean = 0, std = 1): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** True with probability `p`. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** One element of `items`, uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new BigFaceError('INVALID_ARGUMENT', 'Rng.choice: cannot choose from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** Index drawn with probability proportional to `weights[i]` (weights ≥ 0, not all zero). */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new BigFaceError('INVALID_ARGUMENT', `Rng.weightedIndex: weights must be finite and >= 0, got ${w}`);
      }
      total += w;
    }
    if (total <= 0) throw new BigFaceError('INVALID_ARGUMENT', 'Rng.weightedIndex: weights sum to 0');
    let target = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      target -= weights[i] as number;
      if (target < 0) return i;
    }
    return weights.length - 1;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T, A extends { length: number; [index: number]: T }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const result = new Int32Array(n);
    for (let i = 0; i < n; i++) result[i] = i;
    return this.shuffle(result);
  }

  /** Fills `out` with N(mean, std²) samples. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Fills `out` with U[low, high) samples. */
  fillUniform(out: Float32Array, low = 0, high = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /** A new independent stream; advances this one by one draw. */
  fork(): Rng {
    return new Rng(hashSeed(this.nextUint32(), this.nextUint32()));
  }

  /** The complete state, JSON-serialisable. */
  getState(): RngState {
    return { algorithm: 'xoshiro128**', state: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  /** Restores a state from {@link getState}. */
  setState(state: RngState): void {
    const words = state?.state;
    if (
      state?.algorithm !== 'xoshiro128**' ||
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) ||
      words.every((w) => w === 0)
    ) {
      throw new BigFaceError(
        'INVALID_RNG_STATE',
        `Rng.setState: expected {algorithm: 'xoshiro128**', state: four uint32 words, not all zero}, got ${JSON.stringify(state)}`,
      );
    }
    [this.s0, this.s1, this.s2, this.s3] = words.map((w) => w >>> 0) as [number, number, number, number];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
