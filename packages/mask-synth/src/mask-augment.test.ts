import { hashSeed } from '@bigface/backend/random';
import { describe, expect, it } from 'vitest';
import { syntheticFace } from '../test/helpers';
import { maskAugment } from './mask-augment';

describe('maskAugment', () => {
  const face = syntheticFace();

  it('masks a fraction 0.35 of images, within a binomial bound, split by mix', () => {
    // n = 4000 images: masked ~ Binomial(4000, 0.35), sd = sqrt(4000 * 0.35 * 0.65) = 30.2;
    // 4 sd = 121 images, i.e. a fraction in [0.3198, 0.3802] (fails with probability < 1e-4).
    const augment = maskAugment({ ratio: 0.35, mix: { textured: 1, natural: 1 } });
    const n = 4000;
    let masked = 0;
    let textured = 0;
    for (let index = 0; index < n; index++) {
      const { metadata } = augment(face, { seed: hashSeed(2026, 0, index) });
      if (metadata === null) continue;
      masked++;
      if (metadata.synthesizer === 'textured') textured++;
    }
    expect(Math.abs(masked - 0.35 * n)).toBeLessThanOrEqual(4 * Math.sqrt(n * 0.35 * 0.65));
    // Among masked images, textured ~ Binomial(masked, 0.5).
    expect(Math.abs(textured - masked / 2)).toBeLessThanOrEqual(4 * Math.sqrt(masked * 0.25));
  });

  it('follows mix and ratio extremes', () => {
    const onlyNatural = maskAugment({ ratio: 1, mix: { natural: 1 } });
    const never = maskAugment({ ratio: 0 });
    for (let seed = 0; seed < 50; seed++) {
      expect(onlyNatural(face, { seed }).metadata!.synthesizer).toBe('natural');
      const untouched = never(face, { seed });
      expect(untouched.metadata).toBeNull();
      expect(Math.max(...untouched.alpha)).toBe(0);
      expect(Buffer.from(untouched.image.data).equals(Buffer.from(face.data))).toBe(true);
    }
  });

  it('is deterministic per image seed, whatever the order of calls', () => {
    const augment = maskAugment();
    const seeds = Array.from({ length: 60 }, (_, i) => hashSeed(7, i));
    const forward = seeds.map((seed) => augment(face, { seed }));
    const backward = seeds
      .slice()
      .reverse()
      .map((seed) => maskAugment()(face, { seed }))
      .reverse();
    forward.forEach((result, i) => {
      expect(result.metadata).toEqual(backward[i]!.metadata);
      expect(Buffer.from(result.image.data).equals(Buffer.from(backward[i]!.image.data))).toBe(true);
    });
  });

  it('rejects bad ratios, mixes and seeds', () => {
    expect(() => maskAugment({ ratio: 1.5 })).toThrow(/ratio must be in \[0, 1\], got 1.5/);
    expect(() => maskAugment({ mix: { textured: 0, natural: 0 } })).toThrow(/not all zero/);
    expect(() => maskAugment({ mix: { cartoon: 1 } as never })).toThrow(/unknown synthesizer 'cartoon'/);
    expect(() => maskAugment()(face, { seed: Number.NaN, inputName: 'rec 12' })).toThrow(/rec 12/);
  });
});
