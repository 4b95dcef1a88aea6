import { describe, expect, it } from 'vitest';
import { applyHomography, applySimilarity, fitHomography, fitSimilarity, invertHomography, invertSimilarity } from './geometry';

describe('fitSimilarity', () => {
  it('recovers a known rotation + scale + translation from exact correspondences', () => {
    // 30 degrees, scale 2: a = 2 cos 30° = 1.7320508, b = 2 sin 30° = 1; translation (5, -3).
    const from = [
      [0, 0],
      [10, 0],
      [0, 10],
      [7, 3],
    ] as const;
    const to = from.map(([x, y]) => [1.7320508 * x - 1 * y + 5, 1 * x + 1.7320508 * y - 3] as const);
    const t = fitSimilarity(from, to);
    expect(t.a).toBeCloseTo(1.7320508, 6);
    expect(t.b).toBeCloseTo(1, 6);
    expect(t.tx).toBeCloseTo(5, 6);
    expect(t.ty).toBeCloseTo(-3, 6);
    const back = applySimilarity(invertSimilarity(t), to[3]!);
    expect(back[0]).toBeCloseTo(7, 6);
    expect(back[1]).toBeCloseTo(3, 6);
  });
});

describe('fitHomography', () => {
  it('maps four points exactly and inverts', () => {
    const from = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ] as const;
    const to = [
      [10, 10],
      [30, 12],
      [28, 40],
      [8, 35],
    ] as const;
    const h = fitHomography(from, to)!;
    from.forEach((point, i) => {
      const [x, y] = applyHomography(h, point[0], point[1]);
      expect(x).toBeCloseTo(to[i]![0], 9);
      expect(y).toBeCloseTo(to[i]![1], 9);
    });
    const [u, v] = applyHomography(invertHomography(h), 28, 40);
    expect(u).toBeCloseTo(1, 9);
    expect(v).toBeCloseTo(1, 9);
  });

  it('returns null for collinear points', () => {
    expect(
      fitHomography(
        [
          [0, 0],
          [1, 1],
          [2, 2],
          [3, 3],
        ],
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
        ],
      ),
    ).toBeNull();
  });
});
