import { describe, expect, it } from 'vitest';
import { ARCFACE_TEMPLATE_112 } from './arcface-template';
import { resolveFaceGeometry } from './face-geometry';
import { MEAN_FACE_68 } from './mean-face-68';

function errorOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('resolveFaceGeometry', () => {
  it('uses the ArcFace template for a 112x112 crop without landmarks (identity frame)', () => {
    const face = resolveFaceGeometry(undefined, 112, 112, 'crop.jpg');
    expect(face.toImage.a).toBeCloseTo(1, 9);
    expect(face.toImage.b).toBeCloseTo(0, 9);
    expect(face.points).toHaveLength(68);
    expect(face.points[8]![1]).toBeCloseTo(MEAN_FACE_68[8]![1], 6);
  });

  it('accepts [x, y] pairs, {x, y} objects and flat arrays alike', () => {
    const pairs = ARCFACE_TEMPLATE_112.map(([x, y]) => [x + 10, y + 20] as [number, number]);
    const objects = pairs.map(([x, y]) => ({ x, y }));
    const flat = pairs.flat();
    const a = resolveFaceGeometry(pairs, 200, 200, 'a');
    expect(resolveFaceGeometry(objects, 200, 200, 'b').toImage).toEqual(a.toImage);
    expect(resolveFaceGeometry(flat, 200, 200, 'c').toImage).toEqual(a.toImage);
    expect(a.toImage.tx).toBeCloseTo(10, 9);
    expect(a.toImage.ty).toBeCloseTo(20, 9);
  });

  it('rejects a wrong landmark count, naming the input and the count', () => {
    const error = errorOf(() => resolveFaceGeometry(ARCFACE_TEMPLATE_112.slice(0, 4), 112, 112, 'faces/7.jpg'));
    expect(error.code).toBe('LANDMARKS_WRONG_COUNT');
    expect(error.message).toContain('faces/7.jpg');
    expect(error.message).toContain('got 4');
  });

  it('rejects key points outside the image', () => {
    const moved = ARCFACE_TEMPLATE_112.map(([x, y]) => [x + 50, y] as [number, number]);
    const error = errorOf(() => resolveFaceGeometry(moved, 112, 112, 'shifted.jpg'));
    expect(error.code).toBe('LANDMARKS_OUTSIDE_IMAGE');
    expect(error.message).toContain('shifted.jpg');
    expect(error.message).toContain('right eye');
  });

  it('rejects collinear eyes and mouth as degenerate', () => {
    const collinear = [
      [30, 50],
      [80, 50],
      [55, 50],
      [40, 51],
      [70, 51],
    ] as [number, number][];
    const error = errorOf(() => resolveFaceGeometry(collinear, 112, 112, 'flat.jpg'));
    expect(error.code).toBe('LANDMARKS_DEGENERATE');
    expect(error.message).toContain('flat.jpg');
    const coincident = ARCFACE_TEMPLATE_112.map(() => [50, 50] as [number, number]);
    expect(errorOf(() => resolveFaceGeometry(coincident, 112, 112, 'dot.jpg')).code).toBe('LANDMARKS_DEGENERATE');
  });

  it('rejects non-finite landmarks and asks for landmarks on images that are not aligned crops', () => {
    const bad = ARCFACE_TEMPLATE_112.map(([x, y]) => [x, y] as [number, number]);
    bad[2] = [Number.NaN, 3];
    expect(errorOf(() => resolveFaceGeometry(bad, 112, 112, 'nan.jpg')).code).toBe('INVALID_LANDMARKS');
    const error = errorOf(() => resolveFaceGeometry(undefined, 640, 480, 'photo.jpg'));
    expect(error.code).toBe('LANDMARKS_REQUIRED');
    expect(error.message).toContain('640x480');
  });
});
