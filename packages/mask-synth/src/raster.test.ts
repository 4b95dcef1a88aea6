import { describe, expect, it } from 'vitest';
import { accumulatePolygonCoverage, boxBlur } from './raster';

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
