import { hashSeed } from '@bigface/backend';
import type { RawImage } from '@bigface/mask-synth';
import { describe, expect, it } from 'vitest';
import { applyVerificationProtocol, defaultFaceMasker } from './verification-protocol';

/** A plain grey 112×112 "face" with a per-image shade, so that images can be told apart. */
const face = (shade: number): RawImage => ({ data: new Uint8Array(112 * 112 * 3).fill(shade), width: 112, height: 112, channels: 3 });
const faces = [100, 110, 120, 130].map(face); // 2 pairs

describe('applyVerificationProtocol', () => {
  it('masks nothing (standard), the second face of each pair (masked) or every face (masked-both)', () => {
    const calls: Array<[number, number]> = [];
    const mask = (image: RawImage, seed: number): RawImage => {
      calls.push([image.data[0]!, seed]);
      return { ...image, data: new Uint8Array(image.data.length) }; // black
    };
    expect(applyVerificationProtocol(faces, 'standard', { mask })).toEqual(faces);
    expect(calls).toEqual([]);

    const masked = applyVerificationProtocol(faces, 'masked', { mask, seed: 3 });
    expect(masked.map((image) => image.data[0])).toEqual([100, 0, 120, 0]);
    expect(calls).toEqual([
      [110, hashSeed(3, 1)],
      [130, hashSeed(3, 3)],
    ]);

    calls.length = 0;
    const both = applyVerificationProtocol(faces, 'masked-both', { mask, seed: 3 });
    expect(both.map((image) => image.data[0])).toEqual([0, 0, 0, 0]);
    expect(calls.map(([, seed]) => seed)).toEqual([0, 1, 2, 3].map((index) => hashSeed(3, index)));
    expect(faces[1]!.data[0]).toBe(110); // inputs untouched
  });

  it('masks with mask-synth by default: the probe changes, the plain face does not, seeded', () => {
    const [plain, probe] = applyVerificationProtocol(faces.slice(0, 2), 'masked', { seed: 9 });
    expect(plain).toBe(faces[0]);
    const changed = probe!.data.reduce((count, value, index) => count + (value !== faces[1]!.data[index] ? 1 : 0), 0);
    // A mask covers roughly the lower half of an aligned 112×112 face: far more than 5% of the values.
    expect(changed).toBeGreaterThan(0.05 * probe!.data.length);
    expect(applyVerificationProtocol(faces.slice(0, 2), 'masked', { seed: 9 })[1]!.data).toEqual(probe!.data);
    expect(defaultFaceMasker(faces[1]!, hashSeed(9, 1)).data).toEqual(probe!.data);
  });

  it('names a bad protocol and an odd image count', () => {
    expect(() => applyVerificationProtocol(faces, 'masked-one' as never)).toThrow(/unknown protocol 'masked-one': choose one of standard, masked, masked-both/);
    expect(() => applyVerificationProtocol(faces.slice(0, 3), 'standard')).toThrow(/an even count\), got 3/);
  });
});
