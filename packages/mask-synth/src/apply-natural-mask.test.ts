import { describe, expect, it } from 'vitest';
import { alphaAt, eyePoints, lowerFacePoints, MEAN_FACE_68, syntheticFace, uniformImage } from '../test/helpers';
import { applyNaturalMask, NATURAL_MASK_COLOURS } from './apply-natural-mask';
import type { RawImage } from './raw-image';

describe('applyNaturalMask on an aligned 112x112 crop', () => {
  const face = syntheticFace();
  const seeds = Array.from({ length: 40 }, (_, i) => i * 7919 + 1);

  it('covers the lower face from the nose tip to the chin, for every seed', () => {
    for (const seed of seeds) {
      const { alpha } = applyNaturalMask(face, { seed });
      for (const [x, y] of lowerFacePoints(MEAN_FACE_68, 112)) expect(alphaAt(alpha, 112, x, y), `seed ${seed} at (${x}, ${y})`).toBeGreaterThanOrEqual(250);
    }
  });

  it('leaves the eyes and everything above the lower eyelids untouched', () => {
    // The lower eyelids of the mean face are at y ≈ 54.3: nothing above row 56 may be masked.
    for (const seed of seeds) {
      const { alpha, image } = applyNaturalMask(face, { seed });
      for (const [x, y] of eyePoints(MEAN_FACE_68)) expect(alphaAt(alpha, 112, x, y)).toBe(0);
      expect(Math.max(...alpha.subarray(0, 56 * 112))).toBe(0);
      expect(Buffer.from(image.data.subarray(0, 56 * 112 * 3)).equals(Buffer.from(face.data.subarray(0, 56 * 112 * 3)))).toBe(true);
    }
  });

  it('draws white / blue / black / green with probabilities 0.4 / 0.4 / 0.1 / 0.1', () => {
    // n = 3000 seeds: counts are multinomial. Pearson's chi-square with 3 degrees of freedom stays
    // below 16.27 with probability 0.999; each count also stays within 4 binomial standard deviations
    // (white/blue: sd = sqrt(3000 * 0.4 * 0.6) = 26.8; black/green: sd = sqrt(3000 * 0.1 * 0.9) = 16.4).
    const n = 3000;
    const tiny = syntheticFace();
    const counts = new Map<string, number>();
    for (let seed = 0; seed < n; seed++) {
      const { metadata } = applyNaturalMask(tiny, { seed });
      counts.set(metadata!.colour, (counts.get(metadata!.colour) ?? 0) + 1);
    }
    let chiSquare = 0;
    for (const { name, probability } of NATURAL_MASK_COLOURS) {
      const expected = n * probability;
      const observed = counts.get(name) ?? 0;
      expect(Math.abs(observed - expected), name).toBeLessThanOrEqual(4 * Math.sqrt(n * probability * (1 - probability)));
      chiSquare += (observed - expected) ** 2 / expected;
    }
    expect(chiSquare).toBeLessThan(16.27);
    expect([...counts.keys()].sort()).toEqual(['black', 'blue', 'green', 'white']);
  });

  it('samples the top edge in [0.33, 0.35] of the face height and moves the edge with it', () => {
    const edges = Array.from({ length: 300 }, (_, seed) => applyNaturalMask(face, { seed }).metadata!.topEdge!);
    expect(Math.min(...edges)).toBeGreaterThanOrEqual(0.33);
    expect(Math.max(...edges)).toBeLessThanOrEqual(0.35);
    // Uniform on [0.33, 0.35]: 300 draws leave no gap of 0.005 at either end (probability 0.75^300).
    expect(Math.min(...edges)).toBeLessThan(0.335);
    expect(Math.max(...edges)).toBeGreaterThan(0.345);
    // Brows at y = 39.05 and chin at 113.3 in the mean face: face height 74.25, so 0.33 → y 63.55 and
    // 0.35 → y 65.04 at the cheeks, away from the nose. Column x = 30 (left cheek) shows the edge.
    const low = applyNaturalMask(face, { seed: 1, topEdge: 0.33 }).alpha;
    const high = applyNaturalMask(face, { seed: 1, topEdge: 0.35 }).alpha;
    const firstMaskedRow = (alpha: Uint8Array) => {
      for (let y = 0; y < 112; y++) if (alpha[y * 112 + 30]! >= 128) return y;
      return -1;
    };
    expect(firstMaskedRow(low)).toBeGreaterThanOrEqual(62);
    expect(firstMaskedRow(low)).toBeLessThanOrEqual(64);
    expect(firstMaskedRow(high)).toBeGreaterThanOrEqual(64);
    expect(firstMaskedRow(high)).toBeLessThanOrEqual(66);
  });

  it('follows the jaw contour from the cheeks down to the chin', () => {
    // The jaw of the mean face, linearly interpolated between its contour points 2..8 (left) and
    // 14..8 (right) at rows 76..108, moves inwards by more than 15 px on each side. The mask edge must
    // follow it: always outside it (the fabric stands off the skin by 0.04 of the face height, ~3 px,
    // a little more where the ear straps leave), by at most 7 px, and by an offset that varies by less
    // than 3.5 px from row to row (seen: 3.2 to 5.9 px).
    const jawX = (indices: number[], y: number) => {
      for (let k = 0; k + 1 < indices.length; k++) {
        const [x0, y0] = MEAN_FACE_68[indices[k]!]!;
        const [x1, y1] = MEAN_FACE_68[indices[k + 1]!]!;
        if (y >= y0 && y <= y1) return x0 + ((y - y0) / (y1 - y0)) * (x1 - x0);
      }
      throw new Error(`row ${y} is off the jaw`);
    };
    const rows = [76, 80, 84, 88, 92, 96, 100, 104, 108];
    const jawLeft = rows.map((y) => jawX([2, 3, 4, 5, 6, 7, 8], y + 0.5));
    const jawRight = rows.map((y) => jawX([14, 13, 12, 11, 10, 9, 8], y + 0.5));
    expect(jawLeft[jawLeft.length - 1]! - jawLeft[0]!).toBeGreaterThan(15);
    expect(jawRight[0]! - jawRight[jawRight.length - 1]!).toBeGreaterThan(15);
    for (const seed of seeds.slice(0, 8)) {
      const { alpha } = applyNaturalMask(face, { seed });
      const leftOffsets: number[] = [];
      const rightOffsets: number[] = [];
      rows.forEach((y, k) => {
        let first = -1;
        let last = -1;
        for (let x = 0; x < 112; x++) {
          if (alpha[y * 112 + x]! < 128) continue;
          if (first < 0) first = x;
          last = x + 1;
        }
        leftOffsets.push(jawLeft[k]! - first);
        rightOffsets.push(last - jawRight[k]!);
      });
      for (const offsets of [leftOffsets, rightOffsets]) {
        expect(Math.min(...offsets), `seed ${seed}`).toBeGreaterThanOrEqual(0);
        expect(Math.max(...offsets), `seed ${seed}`).toBeLessThanOrEqual(7);
        expect(Math.max(...offsets) - Math.min(...offsets), `seed ${seed}`).toBeLessThan(3.5);
      }
    }
  });

  it('draws pleats: darker folds across the mask, evenly spaced', () => {
    // On a uniform face, a white mask's centre column (x = 56) gets darker at three folds; the
    // folds are at 0.3, 0.5 and 0.7 of the way from the top edge to the chin, so 2 or 3 of them lie
    // between the top edge and the bottom of the 112 px crop, at least 6 px apart.
    const { image, alpha } = applyNaturalMask(uniformImage(112, 112, 150), { seed: 2, colour: 'white' });
    const column: number[] = [];
    for (let y = 0; y < 112; y++) column.push(alpha[y * 112 + 56] === 255 ? image.data[(y * 112 + 56) * 3]! : Number.NaN);
    const minima: number[] = [];
    for (let y = 2; y < 110; y++) {
      const v = column[y]!;
      if (!(v < column[y - 2]! - 8 && v < column[y + 2]! - 8 && v <= column[y - 1]! && v <= column[y + 1]!)) continue;
      if (minima.length === 0 || y - minima[minima.length - 1]! > 3) minima.push(y);
    }
    expect(minima.length).toBeGreaterThanOrEqual(2);
    expect(minima.length).toBeLessThanOrEqual(3);
    for (let k = 1; k < minima.length; k++) expect(minima[k]! - minima[k - 1]!).toBeGreaterThanOrEqual(6);
  });

  it('lets light and shadow of the face carry through the mask', () => {
    // Left half dark (luma 60), right half bright (luma 200); a white mask must be darker on the left.
    const split: RawImage = uniformImage(112, 112, 0);
    for (let y = 0; y < 112; y++) for (let x = 0; x < 112; x++) split.data.fill(x < 56 ? 60 : 200, (y * 112 + x) * 3, (y * 112 + x) * 3 + 3);
    const { image, alpha } = applyNaturalMask(split, { seed: 5, colour: 'white' });
    const meanOver = (fromX: number, toX: number) => {
      let sum = 0;
      let count = 0;
      for (let y = 70; y < 100; y++)
        for (let x = fromX; x < toX; x++)
          if (alpha[y * 112 + x] === 255) {
            sum += image.data[(y * 112 + x) * 3]!;
            count++;
          }
      return sum / count;
    };
    const left = meanOver(30, 46);
    const right = meanOver(66, 82);
    expect(right / left).toBeGreaterThan(1.8);
    // And a face shot in dim light gets a dimmer mask overall.
    const dim = applyNaturalMask(uniformImage(112, 112, 50), { seed: 5, colour: 'white' });
    const bright = applyNaturalMask(uniformImage(112, 112, 200), { seed: 5, colour: 'white' });
    const at = (result: typeof dim) => result.image.data[(85 * 112 + 56) * 3]!;
    expect(at(bright) - at(dim)).toBeGreaterThan(80);
  });

  it('has soft anti-aliased edges and keeps unmasked pixels bit for bit', () => {
    const { alpha, image } = applyNaturalMask(face, { seed: 9 });
    let partial = 0;
    let changedOutside = 0;
    for (let i = 0; i < alpha.length; i++) {
      if (alpha[i]! > 0 && alpha[i]! < 255) partial++;
      if (alpha[i] === 0) for (let c = 0; c < 3; c++) if (image.data[i * 3 + c] !== face.data[i * 3 + c]) changedOutside++;
    }
    expect(changedOutside).toBe(0);
    expect(partial).toBeGreaterThan(60);
  });

  it('is deterministic for a seed and does not modify its input', () => {
    const before = Buffer.from(face.data);
    const a = applyNaturalMask(face, { seed: 77 });
    const b = applyNaturalMask(face, { seed: 77 });
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
    expect(Buffer.from(a.alpha).equals(Buffer.from(b.alpha))).toBe(true);
    expect(a.metadata).toEqual(b.metadata);
    expect(Buffer.from(face.data).equals(before)).toBe(true);
    const metadata = new Set(Array.from({ length: 20 }, (_, seed) => JSON.stringify(applyNaturalMask(face, { seed }).metadata)));
    expect(metadata.size).toBe(20);
  });

  it('rejects unknown colours and bad seeds', () => {
    expect(() => applyNaturalMask(face, { seed: 1, colour: 'purple' })).toThrow(/unknown natural mask colour 'purple'/);
    expect(() => applyNaturalMask(face, { seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => applyNaturalMask({ ...face, data: face.data.subarray(10) }, { seed: 1, inputName: 'short.raw' })).toThrow(/short.raw/);
  });
});
