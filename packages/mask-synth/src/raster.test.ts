import { describe, expect, it } from 'vitest';
import { accumulatePolygonCoverage, boxBlur, boxBlurWindow, polygonsBounds } from './raster';

function total(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum;
}

describe('accumulatePolygonCoverage', () => {
  it('covers an axis-aligned rectangle with its exact area, fractional columns included', () => {
    // [10.25, 20.75] x [5, 15]: 10.5 * 10 = 105 pixels; column 10 is 0.75 covered, column 20 is 0.75.
    const coverage = new Float32Array(32 * 32);
    accumulatePolygonCoverage([10.25, 20.75, 20.75, 10.25], [5, 5, 15, 15], 32, 32, coverage);
    expect(total(coverage)).toBeCloseTo(105, 4);
    expect(coverage[7 * 32 + 10]).toBeCloseTo(0.75, 6);
    expect(coverage[7 * 32 + 15]).toBeCloseTo(1, 6);
    expect(coverage[7 * 32 + 20]).toBeCloseTo(0.75, 6);
    expect(coverage[4 * 32 + 15]).toBe(0);
  });

  it('covers a triangle with its area within the sub-scanline error', () => {
    // Right triangle (2,2) (26,2) (2,26): area 24 * 24 / 2 = 288. Four sub-scanlines a row
    // sample the slanted edge exactly at their centres, so the error is far below a pixel a row.
    const coverage = new Float32Array(32 * 32);
    accumulatePolygonCoverage([2, 26, 2], [2, 2, 26], 32, 32, coverage);
    expect(Math.abs(total(coverage) - 288)).toBeLessThan(1);
    // Pixels straddling the hypotenuse are partly covered (anti-aliased).
    expect(coverage[13 * 32 + 14]).toBeGreaterThan(0.2);
    expect(coverage[13 * 32 + 14]).toBeLessThan(0.8);
  });

  it('clips to the image', () => {
    const coverage = new Float32Array(10 * 10);
    accumulatePolygonCoverage([-5, 15, 15, -5], [-5, -5, 15, 15], 10, 10, coverage);
    expect(total(coverage)).toBeCloseTo(100, 4);
  });
});

describe('boxBlur', () => {
  it('keeps the sum of an interior impulse and spreads it over (2r+1)^2 pixels', () => {
    const values = new Float32Array(11 * 11);
    values[5 * 11 + 5] = 9;
    boxBlur(values, 11, 11, 1);
    expect(total(values)).toBeCloseTo(9, 5);
    expect(values[4 * 11 + 4]).toBeCloseTo(1, 5);
    expect(values[3 * 11 + 5]).toBe(0);
  });
});

describe('boxBlurWindow', () => {
  it('equals blurring the whole image, inside a window that reaches the radius beyond the non-zero pixels', () => {
    // A 3x3 block of ones at (10..12, 8..10) in a 30x24 image, radius 2: the window [6, 16] x [4, 14]
    // reaches 2 pixels beyond where the blur spreads it (8..14, 6..12), so its clamped edges see zeros.
    const whole = new Float32Array(30 * 24);
    for (let y = 8; y <= 10; y++) for (let x = 10; x <= 12; x++) whole[y * 30 + x] = 1;
    const windowed = whole.slice();
    boxBlur(whole, 30, 24, 2);
    boxBlurWindow(windowed, 30, { x0: 6, y0: 4, x1: 16, y1: 14 }, 2);
    for (let i = 0; i < whole.length; i++) expect(windowed[i]).toBeCloseTo(whole[i]!, 6);
    // Each blurred pixel is (overlap of its 5x5 box with the block) / 25: at (11, 9) all 9 ones.
    expect(windowed[9 * 30 + 11]).toBeCloseTo(9 / 25, 6);
  });
});

describe('polygonsBounds', () => {
  it('boxes the vertices, grows by a margin and clips to the image', () => {
    expect(polygonsBounds([{ xs: [2.5, 7.2], ys: [3.1, 4] }], 20, 20)).toEqual({ x0: 2, y0: 3, x1: 8, y1: 4 });
    expect(polygonsBounds([{ xs: [2.5, 7.2], ys: [3.1, 4] }], 20, 20, 5)).toEqual({ x0: 0, y0: 0, x1: 13, y1: 9 });
    expect(polygonsBounds([{ xs: [-9, -3], ys: [1, 2] }], 20, 20)).toBeNull();
  });
});
