import { describe, expect, it } from 'vitest';
import { alphaAt, eyePoints, lowerFacePoints, MEAN_FACE_68, syntheticFace, uniformImage } from '../test/helpers';
import { applyTexturedMask, TEXTURED_MASK_COLOURS } from './apply-textured-mask';
import { MASK_TYPES } from './mask-types';
import { MASK_TEXTURES } from './textures';

describe('applyTexturedMask on an aligned 112x112 crop', () => {
  const face = syntheticFace();

  it.each(MASK_TYPES)('%s covers the lower face from the nose tip to the chin and not the eyes', (type) => {
    for (let seed = 0; seed < 12; seed++) {
      const { alpha, metadata } = applyTexturedMask(face, { seed, type });
      expect(metadata!.type).toBe(type);
      for (const [x, y] of lowerFacePoints(MEAN_FACE_68, 112)) expect(alphaAt(alpha, 112, x, y), `seed ${seed} at (${x}, ${y})`).toBeGreaterThanOrEqual(250);
      for (const [x, y] of eyePoints(MEAN_FACE_68)) expect(alphaAt(alpha, 112, x, y), `seed ${seed} eye (${x}, ${y})`).toBe(0);
      // Nothing at or above the eye line (y ≈ 51.6) in the eye columns.
      let above = 0;
      for (let y = 0; y <= 52; y++) for (let x = 25; x < 87; x++) above = Math.max(above, alpha[y * 112 + x]!);
      expect(above).toBe(0);
    }
  });

  it('reaches every type and texture across seeds', () => {
    const types = new Set<string>();
    const textures = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const { metadata } = applyTexturedMask(face, { seed });
      types.add(metadata!.type);
      textures.add(metadata!.texture);
    }
    expect([...types].sort()).toEqual([...MASK_TYPES].sort());
    expect([...textures].sort()).toEqual([...MASK_TEXTURES].sort());
  });

  it.each(MASK_TEXTURES)('texture %s paints the mask (more than one colour unless plain)', (texture) => {
    const { image, alpha } = applyTexturedMask(uniformImage(112, 112, 160), { seed: 3, texture, type: 'cloth' });
    const colours = new Set<number>();
    for (let i = 0; i < alpha.length; i++) {
      if (alpha[i] !== 255) continue;
      // Quantise to 32 levels a channel so that shading alone does not count as a colour.
      colours.add(((image.data[i * 3]! >> 3) << 10) | ((image.data[i * 3 + 1]! >> 3) << 5) | (image.data[i * 3 + 2]! >> 3));
    }
    if (texture === 'plain') expect(colours.size).toBeLessThan(40);
    else expect(colours.size).toBeGreaterThan(5);
  });

  it('never paints a part of the mask much darker than its own colours (no black blobs)', () => {
    // On a uniform grey face of luma 140 the brightness factor is 140/140 = 1 and the local-light term
    // is 1, so a fully covered pixel is (mask colour) x (decoration shade); shades stay above 0.55. So
    // no fully covered pixel may be darker than 0.35 x the luma of the darkest colour the mask uses,
    // filters and valves included (they once were a fixed near-black grey: luma about 55 on a white
    // and yellow mask, whose threshold is 0.35 x 196 = 69).
    const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;
    const face = uniformImage(112, 112, 140);
    const colourSets = [
      ['white', 'yellow', 'pink'],
      ['light-blue', 'khaki', 'white'],
      ['black', 'navy', 'brown'],
    ];
    for (const type of MASK_TYPES) {
      for (const texture of MASK_TEXTURES) {
        for (const [k, colours] of colourSets.entries()) {
          for (const seed of [2 * k, 2 * k + 1]) {
            const { image, alpha, metadata } = applyTexturedMask(face, { seed, type, texture, colours });
            const used = metadata!.colour.split('+').map((name) => luma(...TEXTURED_MASK_COLOURS[name]!));
            const threshold = 0.35 * Math.min(...used);
            let darkest = 255;
            for (let i = 0; i < alpha.length; i++) {
              if (alpha[i] !== 255) continue;
              darkest = Math.min(darkest, luma(image.data[i * 3]!, image.data[i * 3 + 1]!, image.data[i * 3 + 2]!));
            }
            expect(darkest, `${type}/${texture}/${metadata!.colour} seed ${seed}`).toBeGreaterThanOrEqual(threshold);
          }
        }
      }
    }
  });

  it('changes only the pixels under the mask, in proportion to alpha', () => {
    for (const type of MASK_TYPES) {
      const face = syntheticFace();
      const { image, alpha } = applyTexturedMask(face, { seed: 9, type });
      let violations = 0;
      for (let i = 0; i < alpha.length; i++) {
        for (let c = 0; c < 3; c++) {
          const change = Math.abs(image.data[i * 3 + c]! - face.data[i * 3 + c]!);
          // out = in (1 - a) + paint a, |paint - in| <= 255, plus rounding of alpha to 1/255 steps.
          if (change > alpha[i]! + 1) violations++;
        }
      }
      expect(violations, type).toBe(0);
    }
  });

  it('matches the mask brightness to the face', () => {
    // Same seed (same mask and colours) on a dark and on a bright face.
    const dark = applyTexturedMask(uniformImage(112, 112, 50), { seed: 11 });
    const bright = applyTexturedMask(uniformImage(112, 112, 210), { seed: 11 });
    let sumDark = 0;
    let sumBright = 0;
    for (let i = 0; i < dark.alpha.length; i++) {
      if (dark.alpha[i] !== 255) continue;
      sumDark += dark.image.data[i * 3]! + dark.image.data[i * 3 + 1]! + dark.image.data[i * 3 + 2]!;
      sumBright += bright.image.data[i * 3]! + bright.image.data[i * 3 + 1]! + bright.image.data[i * 3 + 2]!;
    }
    // Brightness factors: clamp(50/140) = 0.4 vs clamp(210/140) = 1.15, a ratio of 2.9 before 255-clipping.
    expect(sumBright / sumDark).toBeGreaterThan(2);
  });

  it('is deterministic for a seed, forced options keep the other draws, input untouched', () => {
    const before = Buffer.from(face.data);
    const a = applyTexturedMask(face, { seed: 123 });
    const b = applyTexturedMask(face, { seed: 123 });
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
    expect(a.metadata).toEqual(b.metadata);
    expect(Buffer.from(face.data).equals(before)).toBe(true);
    const forced = applyTexturedMask(face, { seed: 123, type: a.metadata!.type as 'cloth' });
    expect(forced.metadata).toEqual(a.metadata);
    const coloured = applyTexturedMask(face, { seed: 5, texture: 'stripes', colours: ['red', 'white'] });
    expect(coloured.metadata!.colour).toBe('red+white');
  });

  it('rejects unknown types, textures and colours with the valid choices', () => {
    expect(() => applyTexturedMask(face, { seed: 1, type: 'balaclava' as 'cloth' })).toThrow(/unknown mask type 'balaclava': choose one of surgical, n95/);
    expect(() => applyTexturedMask(face, { seed: 1, texture: 'tartan' as 'plain' })).toThrow(/unknown texture 'tartan'/);
    expect(() => applyTexturedMask(face, { seed: 1, colours: ['mauve'] })).toThrow(/unknown colour 'mauve'/);
  });
});
