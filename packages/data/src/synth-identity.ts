import { assertArgument } from '@bigface/backend/errors';
import { Rng } from '@bigface/backend/random';
import type { Colour } from './synth-canvas';

/**
 * The parameter vector of one SynthFaces identity, in the 112x112 ArcFace-aligned frame (eyes near
 * (38.3, 51.7) and (73.5, 51.5), nose tip (56.0, 71.7), mouth corners (41.5, 92.4) and (70.7, 92.2)).
 * Every field is fixed for the identity; what changes between its images (pose, expression, light,
 * blur, noise, background) comes from the sample seed in {@link renderSynthFace}.
 */
export interface SynthIdentity {
  seed: number;
  index: number;
  face: { width: number; height: number; centerY: number; jaw: number; chinY: number; skin: Colour; blush: number };
  ears: { size: number; y: number };
  hair: { style: number; colour: Colour; volume: number; fringe: number; fringeTilt: number; length: number };
  eyes: { spacing: number; y: number; width: number; height: number; tilt: number; iris: Colour; irisSize: number; lid: number };
  brows: { height: number; thickness: number; arch: number; length: number; tilt: number; colour: Colour };
  nose: { length: number; width: number; nostril: number; bridge: number; shade: number; tip: number };
  mouth: { width: number; upperLip: number; lowerLip: number; curve: number; y: number; colour: Colour };
  /** 0 none, 1 thin, 2 thick moustache; beard 0 none, 1 goatee, 2 full; colour like the hair. */
  facialHair: { moustache: number; beard: number; density: number };
  mole: { present: boolean; x: number; y: number; size: number };
  glasses: { present: boolean; round: boolean; colour: Colour; thickness: number; size: number };
}

const SKIN_TONES: readonly Colour[] = [
  [255, 224, 196],
  [241, 194, 160],
  [224, 172, 130],
  [198, 140, 100],
  [160, 106, 70],
  [120, 78, 52],
  [88, 58, 40],
  [232, 190, 172],
];
const HAIR_COLOURS: readonly Colour[] = [
  [20, 16, 14],
  [50, 34, 24],
  [92, 62, 38],
  [150, 110, 70],
  [210, 180, 120],
  [170, 70, 40],
  [140, 140, 140],
  [230, 230, 225],
];
const IRIS_COLOURS: readonly Colour[] = [
  [70, 45, 25],
  [40, 30, 20],
  [60, 100, 150],
  [80, 120, 80],
  [110, 90, 60],
  [100, 110, 120],
];
const LIP_BASE: Colour = [190, 100, 100];

/**
 * Draws identity `index` of the SynthFaces family `seed`: a deterministic function of (seed, index).
 * Traits come from shared distributions, so neighbouring identities can look alike; the nose, mouth,
 * moustache/beard and mole carry a good part of the signal, which masking then hides.
 *
 * @example
 * import { createSynthIdentity, renderSynthFace } from '@bigface/data';
 * const person = createSynthIdentity(42, 7);
 * const { image } = renderSynthFace(person, { sample: 0 });
 */
export function createSynthIdentity(seed: number, index: number): SynthIdentity {
  assertArgument(Number.isInteger(seed), 'INVALID_SEED', () => `createSynthIdentity: seed must be an integer, got ${seed}`);
  assertArgument(Number.isInteger(index) && index >= 0, 'INVALID_ARGUMENT', () => `createSynthIdentity: index must be a non-negative integer, got ${index}`);
  const rng = Rng.derive(seed, index, 0x1d);
  const u = (low: number, high: number) => rng.uniform(low, high);
  const jitter = (colour: Colour, amount: number): Colour => colour.map((c) => clamp255(c + rng.normal(0, amount))) as unknown as Colour;
  const mix = (a: Colour, b: Colour, t: number): Colour => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

  const toneIndex = rng.int(SKIN_TONES.length - 1);
  const skin = jitter(mix(SKIN_TONES[toneIndex]!, SKIN_TONES[toneIndex + 1]!, rng.next()), 8);
  const hairColour = jitter(rng.choice(HAIR_COLOURS), 12);
  const lipTint = jitter(LIP_BASE, 25);
  return {
    seed,
    index,
    face: { width: u(33, 42), height: u(45, 54), centerY: u(56, 62), jaw: u(0.7, 0.97), chinY: u(100, 110), skin, blush: u(0, 0.35) },
    ears: { size: u(6, 10), y: u(56, 66) },
    hair: { style: rng.int(5), colour: hairColour, volume: u(2, 9), fringe: u(0, 1), fringeTilt: u(-0.5, 0.5), length: u(0, 1) },
    eyes: {
      spacing: u(-3, 3),
      y: u(-2, 2),
      width: u(6.5, 10),
      height: u(2.6, 4.6),
      tilt: u(-0.15, 0.15),
      iris: jitter(rng.choice(IRIS_COLOURS), 10),
      irisSize: u(0.45, 0.7),
      lid: u(0.6, 1.6),
    },
    brows: {
      height: u(7, 12),
      thickness: u(1.3, 3.8),
      arch: u(-1, 3),
      length: u(8, 14),
      tilt: u(-0.2, 0.25),
      colour: mix(hairColour, [30, 20, 15], u(0, 0.6)),
    },
    nose: { length: u(-4, 4), width: u(5, 12), nostril: u(1, 2.8), bridge: u(1.5, 4.5), shade: u(0.1, 0.45), tip: u(2.5, 5.5) },
    mouth: {
      width: u(21, 36),
      upperLip: u(1.2, 4),
      lowerLip: u(1.8, 5.2),
      curve: u(-2, 2),
      y: u(-3, 3),
      colour: mix(skin, lipTint, u(0.35, 0.9)),
    },
    facialHair: { moustache: rng.bernoulli(0.3) ? rng.intRange(1, 2) : 0, beard: rng.bernoulli(0.25) ? rng.intRange(1, 2) : 0, density: u(0.45, 0.9) },
    mole: { present: rng.bernoulli(0.35), x: u(-22, 22), y: u(66, 98), size: u(1, 2.2) },
    glasses: {
      present: rng.bernoulli(0.2),
      round: rng.bernoulli(0.5),
      colour: jitter(
        rng.choice([
          [20, 20, 20],
          [110, 70, 40],
          [180, 180, 190],
        ] as Colour[]),
        10,
      ),
      thickness: u(0.8, 2),
      size: u(9, 13),
    },
  };
}

function clamp255(value: number): number {
  return value < 0 ? 0 : Math.min(value, 255);
}
