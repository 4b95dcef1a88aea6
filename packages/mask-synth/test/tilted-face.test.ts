// The mask must move with the face: landmarks moved by a known similarity transform T move the mask
// region by T, within a few pixels.
import { describe, expect, it } from 'vitest';
import { applyNaturalMask } from '../src/apply-natural-mask';
import { applyTexturedMask } from '../src/apply-textured-mask';
import { ARCFACE_TEMPLATE_112 } from '../src/arcface-template';
import type { MaskResult } from '../src/mask-result';
import { MEAN_FACE_68, uniformImage } from './helpers';

// Reference: the face shifted by (24, 20) into a 160x160 canvas, so that no part of the mask is clipped.
const shift = ([x, y]: readonly [number, number]) => [x + 24, y + 20] as [number, number];
// Tilted: rotate the reference by 28 degrees about (80, 80), scale by 1.5, then move to the centre of a
// 260x260 canvas. T(p) = 1.5 * R(28°) (p - (80, 80)) + (130, 130).
const angle = (28 * Math.PI) / 180;
const cos = Math.cos(angle);
const sin = Math.sin(angle);
const T = ([x, y]: readonly [number, number]) =>
  [1.5 * (cos * (x - 80) - sin * (y - 80)) + 130, 1.5 * (sin * (x - 80) + cos * (y - 80)) + 130] as [number, number];
const TInverse = ([x, y]: readonly [number, number]) => {
  const dx = (x - 130) / 1.5;
  const dy = (y - 130) / 1.5;
  return [cos * dx + sin * dy + 80, -sin * dx + cos * dy + 80] as [number, number];
};

function centroid(alpha: Uint8Array, width: number): [number, number] {
  let sx = 0;
  let sy = 0;
  let s = 0;
  for (let i = 0; i < alpha.length; i++) {
    const a = alpha[i]!;
    if (a === 0) continue;
    sx += a * ((i % width) + 0.5);
    sy += a * (Math.floor(i / width) + 0.5);
    s += a;
  }
  return [sx / s, sy / s];
}

/** IoU of the tilted mask (alpha ≥ 128) against the reference mask pulled through T. */
function iou(reference: Uint8Array, tilted: Uint8Array): number {
  let intersection = 0;
  let union = 0;
  for (let y = 0; y < 260; y++) {
    for (let x = 0; x < 260; x++) {
      const [rx, ry] = TInverse([x + 0.5, y + 0.5]);
      const inReference = rx >= 0 && ry >= 0 && rx < 160 && ry < 160 && reference[Math.floor(ry) * 160 + Math.floor(rx)]! >= 128;
      const inTilted = tilted[y * 260 + x]! >= 128;
      if (inReference && inTilted) intersection++;
      if (inReference || inTilted) union++;
    }
  }
  return intersection / union;
}

const synthesizers: [string, (image: ReturnType<typeof uniformImage>, landmarks: [number, number][], seed: number) => MaskResult][] = [
  ['textured', (image, landmarks, seed) => applyTexturedMask(image, { seed, landmarks })],
  ['natural', (image, landmarks, seed) => applyNaturalMask(image, { seed, landmarks })],
];

describe.each(synthesizers)('%s synthesizer on a rotated and scaled face', (_, synthesize) => {
  for (const [kind, points] of [
    ['5-point', ARCFACE_TEMPLATE_112],
    ['68-point', MEAN_FACE_68],
  ] as const) {
    it(`moves the mask with ${kind} landmarks (centroid within 2 px, IoU > 0.9)`, () => {
      for (const seed of [1, 2, 3, 4]) {
        const reference = synthesize(uniformImage(160, 160, 150), points.map(shift), seed);
        const tilted = synthesize(
          uniformImage(260, 260, 150),
          points.map((p) => T(shift(p))),
          seed,
        );
        const [cx, cy] = T(centroid(reference.alpha, 160));
        const [tx, ty] = centroid(tilted.alpha, 260);
        expect(Math.hypot(cx - tx, cy - ty), `seed ${seed}`).toBeLessThan(2);
        expect(iou(reference.alpha, tilted.alpha), `seed ${seed}`).toBeGreaterThan(0.9);
        // Still over the nose tip and mouth, still off the eyes, in the tilted image.
        const at = (p: readonly [number, number]) => tilted.alpha[Math.floor(p[1]) * 260 + Math.floor(p[0])]!;
        for (const index of [2, 3, 4]) expect(at(T(shift(ARCFACE_TEMPLATE_112[index]!)))).toBeGreaterThanOrEqual(250);
        for (const index of [0, 1]) expect(at(T(shift(ARCFACE_TEMPLATE_112[index]!)))).toBe(0);
      }
    });
  }
});
