import type { Rng } from '@bigface/backend/random';

/** Procedural textures of the textured synthesizer. */
export const MASK_TEXTURES = ['plain', 'checks', 'stripes', 'dots', 'floral', 'camouflage'] as const;
/** One of {@link MASK_TEXTURES}. */
export type MaskTexture = (typeof MASK_TEXTURES)[number];

/** A texture bound to its random parameters: template coordinates → index into the colour list (fractional = blend). */
export type TextureFunction = (u: number, v: number) => number;

function hash2(x: number, y: number, seed: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise in [0, 1). */
function valueNoise(x: number, y: number, seed: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const a = hash2(x0, y0, seed);
  const b = hash2(x0 + 1, y0, seed);
  const c = hash2(x0, y0 + 1, seed);
  const d = hash2(x0 + 1, y0 + 1, seed);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

function smoothEdge(distance: number, width: number): number {
  // 1 inside (distance < 0), 0 outside, linear over `width` (cheap anti-aliasing in template units).
  return Math.min(1, Math.max(0, 0.5 - distance / width));
}

/** Number of colours a texture uses. */
export function textureColourCount(texture: MaskTexture): number {
  return texture === 'plain' ? 1 : texture === 'camouflage' ? 3 : 2;
}

/** Binds `texture` to random parameters (scale, angle, offsets) drawn from `rng`. */
export function makeTexture(texture: MaskTexture, rng: Rng): TextureFunction {
  const seed = rng.nextUint32() | 0;
  switch (texture) {
    case 'plain':
      return () => 0;
    case 'checks': {
      const cells = rng.uniform(5, 10);
      const angle = rng.choice([0, Math.PI / 4]);
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      return (u, v) => {
        const x = (u * cos - v * sin) * cells;
        const y = (u * sin + v * cos) * cells;
        // Distance to the nearest cell border decides a soft 0/1 parity.
        const parity = (Math.floor(x) + Math.floor(y)) & 1;
        const border = Math.min(x - Math.floor(x), Math.ceil(x) - x, y - Math.floor(y), Math.ceil(y) - y);
        const edge = Math.min(1, border / 0.06);
        return parity ? 0.5 + 0.5 * edge : 0.5 - 0.5 * edge;
      };
    }
    case 'stripes': {
      const frequency = rng.uniform(4, 9);
      const angle = rng.uniform(-0.8, 0.8) + (rng.bernoulli(0.5) ? Math.PI / 2 : 0);
      const duty = rng.uniform(0.3, 0.6);
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      return (u, v) => {
        const phase = (u * cos + v * sin) * frequency;
        const f = phase - Math.floor(phase);
        return smoothEdge(Math.min(f, 1 - f) - duty / 2, 0.12);
      };
    }
    case 'dots': {
      const cells = rng.uniform(6, 11);
      const radius = rng.uniform(0.18, 0.32);
      return (u, v) => {
        const x = u * cells;
        const y = v * cells + (Math.floor(u * cells) & 1) * 0.5;
        const dx = x - Math.floor(x) - 0.5;
        const dy = y - Math.floor(y) - 0.5;
        return smoothEdge(Math.sqrt(dx * dx + dy * dy) - radius, 0.12);
      };
    }
    case 'floral': {
      // Flower-like blobs: petals (a rose curve) around cell centres jittered by noise.
      const cells = rng.uniform(3.5, 6);
      const petals = rng.intRange(4, 7);
      return (u, v) => {
        const x = u * cells;
        const y = v * cells;
        const cx = Math.floor(x);
        const cy = Math.floor(y);
        const jitterX = 0.5 + 0.3 * (hash2(cx, cy, seed) - 0.5);
        const jitterY = 0.5 + 0.3 * (hash2(cy, cx, seed ^ 0x5bd1e995) - 0.5);
        const dx = x - cx - jitterX;
        const dy = y - cy - jitterY;
        const r = Math.sqrt(dx * dx + dy * dy);
        const theta = Math.atan2(dy, dx) + hash2(cx, cy, seed + 7) * 6.283;
        const petal = 0.22 + 0.16 * Math.abs(Math.cos((petals / 2) * theta));
        const flower = smoothEdge(r - petal, 0.1);
        const centre = smoothEdge(r - 0.07, 0.06);
        const leaves = valueNoise(x * 2.3, y * 2.3, seed) > 0.72 ? 0.35 : 0;
        return Math.max(flower * (1 - centre), leaves);
      };
    }
    case 'camouflage': {
      const scale = rng.uniform(2.5, 4.5);
      return (u, v) => {
        const n = 0.65 * valueNoise(u * scale, v * scale, seed) + 0.35 * valueNoise(u * scale * 2.7, v * scale * 2.7, seed + 1);
        return n < 0.42 ? 0 : n < 0.58 ? 1 : 2;
      };
    }
  }
}
