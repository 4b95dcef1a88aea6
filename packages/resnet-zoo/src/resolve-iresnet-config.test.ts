import { describe, expect, it } from 'vitest';
import { isBigFaceError } from '@bigface/backend';
import { BACKBONES } from './backbone-registry';
import { resolveIResNetConfig } from './resolve-iresnet-config';

describe('resolveIResNetConfig', () => {
  it("gives the deck's models a 4th stage of 3 so that r120/r140/r240 have exactly that many layers", () => {
    const depth = (name: keyof typeof BACKBONES): number => 2 * BACKBONES[name].layers.reduce((a: number, b: number) => a + b, 0) + 2;
    expect([depth('r18'), depth('r34'), depth('r50'), depth('r100'), depth('r120'), depth('r140'), depth('r240')]).toEqual([18, 34, 50, 100, 120, 140, 240]);
    expect(BACKBONES.r200.layers).toEqual([6, 26, 60, 6]);
    expect(BACKBONES['r1.2k'].layers).toEqual([3, 80, 512, 3]);
  });

  it('resolves widths, the FC input size and overrides', () => {
    const r50 = resolveIResNetConfig('r50');
    expect(r50).toMatchObject({
      name: 'r50',
      layers: [3, 4, 14, 3],
      stemWidth: 64,
      widths: [64, 128, 256, 512],
      embeddingSize: 512,
      finalHeight: 7,
      finalWidth: 7,
    });
    const tiny = resolveIResNetConfig({ layers: [1, 2, 1, 1], widthMultiplier: 0.25, inputSize: [40, 24], embeddingSize: 8, dropout: 0.2 });
    expect(tiny).toMatchObject({ name: 'custom', stemWidth: 16, widths: [16, 32, 64, 128], finalHeight: 3, finalWidth: 2, dropout: 0.2 });
  });

  it('explains bad input', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (error) {
        return isBigFaceError(error) ? error.code : 'not a BigFaceError';
      }
      return undefined;
    };
    expect(() => resolveIResNetConfig('r55')).toThrow("unknown backbone 'r55': choose one of r18, r34, r50, r100, r120, r140, r200, r240, r600, r1.2k, r2060");
    expect(codeOf(() => resolveIResNetConfig({ layers: [1, 2, 3] }))).toBe('INVALID_ARCHITECTURE');
    expect(codeOf(() => resolveIResNetConfig({ backbone: 'r18', dropout: 1 }))).toBe('INVALID_ARCHITECTURE');
  });
});
