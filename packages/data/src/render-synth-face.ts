import { assertArgument } from '@bigface/backend/errors';
import { Rng } from '@bigface/backend/random';
import { type Colour, SynthCanvas } from './synth-canvas';
import type { SynthIdentity } from './synth-identity';

/** Options of {@link renderSynthFace}. */
export interface RenderSynthFaceOptions {
  /** Which image of the identity: its pose, expression, light, blur and noise come from (identity seed, index, sample). */
  sample: number;
  /** Scales every per-sample variation (default 1; 0 renders the identity's neutral, frontal, clean face). */
  variation?: number;
}

/** A rendered SynthFaces image: 112x112 RGB, already aligned, with its five landmarks. */
export interface SynthFace {
  image: { data: Uint8Array; width: number; height: number; channels: 3 };
  /** Left eye, right eye, nose tip, left and right mouth corner, in pixels (ArcFace order). */
  landmarks: [number, number][];
}

const SIZE = 112;
const scale = (colour: Colour, factor: number): Colour => [colour[0] * factor, colour[1] * factor, colour[2] * factor];
const mix = (a: Colour, b: Colour, t: number): Colour => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

/**
 * Renders one image of a SynthFaces identity with an anti-aliased JS rasteriser: background, hair,
 * ears, face, beard, brows, eyes, nose, moustache, lips, mole, glasses; then the sample's small
 * similarity jitter and yaw, expression (smile, open mouth, raised brows, blinks), directional light
 * and colour cast, blur and noise. Deterministic in (identity, sample).
 *
 * @example
 * import { createSynthIdentity, renderSynthFace } from '@bigface/data';
 * const { image, landmarks } = renderSynthFace(createSynthIdentity(42, 0), { sample: 3 });
 * // image.data: 112 * 112 * 3 bytes of RGB
 */
export function renderSynthFace(identity: SynthIdentity, options: RenderSynthFaceOptions): SynthFace {
  const variation = options.variation ?? 1;
  assertArgument(
    Number.isInteger(options.sample) && options.sample >= 0,
    'INVALID_ARGUMENT',
    () => `renderSynthFace: sample must be a non-negative integer, got ${options.sample}`,
  );
  assertArgument(Number.isFinite(variation) && variation >= 0, 'INVALID_ARGUMENT', () => `renderSynthFace: variation must be >= 0, got ${variation}`);
  const rng = Rng.derive(identity.seed, identity.index, options.sample, 0x5a);
  const v = (std: number) => rng.normal(0, std) * variation;

  // Pose: a similarity around the face centre plus a small yaw that moves deep features sideways.
  const angle = Math.max(-0.2, Math.min(0.2, v(0.06)));
  const zoom = 1 + Math.max(-0.1, Math.min(0.1, v(0.04)));
  const shiftX = v(1.5);
  const shiftY = v(1.5);
  const yaw = Math.max(-3.5, Math.min(3.5, v(1.4)));
  const cos = Math.cos(angle) * zoom;
  const sin = Math.sin(angle) * zoom;
  const at = (x: number, y: number, depth = 0): [number, number] => {
    const dx = x + yaw * depth - 56;
    const dy = y - 60;
    return [56 + cos * dx - sin * dy + shiftX, 60 + sin * dx + cos * dy + shiftY];
  };
  const len = (value: number) => value * zoom;

  // Expression.
  const smile = Math.max(-0.5, Math.min(1, rng.uniform(-0.3, 0.9) * variation));
  const open = rng.bernoulli(0.3 * Math.min(1, variation)) ? rng.uniform(0.2, 1) : 0;
  const browRaise = v(1);
  const eyeOpen = rng.bernoulli(0.05 * Math.min(1, variation)) ? 0.15 : 1 + v(0.12);

  const canvas = new SynthCanvas(SIZE, SIZE);
  const backgroundTop: Colour = [rng.uniform(20, 235), rng.uniform(20, 235), rng.uniform(20, 235)];
  canvas.verticalGradient(backgroundTop, mix(backgroundTop, [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)], rng.uniform(0.2, 0.8)));
  for (let blob = rng.int(3); blob > 0; blob--) {
    canvas.ellipse(
      rng.uniform(0, SIZE),
      rng.uniform(0, SIZE),
      rng.uniform(8, 30),
      rng.uniform(8, 30),
      rng.uniform(0, 3),
      [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)],
      { softness: 8, opacity: 0.6 },
    );
  }

  const { face, hair, eyes, brows, nose, mouth, facialHair } = identity;
  const skin = face.skin;
  const hairColour = hair.colour;
  const shadow = scale(skin, 0.78);

  // Clothes (per sample, so they are no identity cue) and neck.
  const [shoulderX, shoulderY] = at(56, 128);
  canvas.ellipse(shoulderX, shoulderY, len(58), len(24), angle, [rng.uniform(10, 240), rng.uniform(10, 240), rng.uniform(10, 240)]);
  const [neckX, neckY] = at(56, 104);
  canvas.band(
    neckX,
    neckY,
    angle,
    len(face.width * face.jaw * 0.62),
    () => -len(6),
    () => len(24),
    scale(skin, 0.85),
  );

  // Hair behind the head.
  const [headX, headY] = at(56, face.centerY);
  if (hair.style > 0) {
    const capY = face.centerY - face.height * 0.35;
    const [capX, capCentreY] = at(56, capY);
    canvas.ellipse(capX, capCentreY, len(face.width + hair.volume), len(face.height * 0.72 + hair.volume), angle, hairColour);
    if (hair.style >= 3) {
      const hairLength = 20 + hair.length * 40;
      for (const side of [-1, 1]) {
        const [sx, sy] = at(56 + side * (face.width + hair.volume * 0.4 - 4), face.centerY + hairLength / 2 - 10);
        canvas.ellipse(sx, sy, len(6 + hair.volume * 0.8), len(hairLength / 2 + 6), angle, hairColour);
      }
    }
  }

  // Ears, head and jaw.
  for (const side of [-1, 1]) {
    const [earX, earY] = at(56 + side * (face.width - 1), identity.ears.y);
    canvas.ellipse(earX, earY, len(identity.ears.size * 0.55), len(identity.ears.size), angle + side * 0.15, shadow);
    canvas.ellipse(earX + side * 0.6, earY, len(identity.ears.size * 0.3), len(identity.ears.size * 0.65), angle, scale(skin, 0.68), { softness: 2 });
  }
  canvas.ellipse(headX, headY, len(face.width), len(face.height), angle, skin);
  const jawTop = face.centerY + 8;
  const [jawX, jawY] = at(56, (jawTop + face.chinY) / 2);
  canvas.ellipse(jawX, jawY, len(face.width * face.jaw), len((face.chinY - jawTop) / 2 + 6), angle, skin);
  // Soft shading towards the edge of the face, and cheeks.
  canvas.ring(headX, headY, len(face.width - 2), len(face.height - 2), angle, len(4), shadow, { softness: 5, opacity: 0.35 });
  for (const side of [-1, 1]) {
    const [cheekX, cheekY] = at(56 + side * 20, 78, 0.3);
    canvas.ellipse(cheekX, cheekY, len(8), len(5.5), angle, [220, 110, 110], { softness: 6, opacity: face.blush });
  }

  // Beard (under the mouth, over the jaw).
  if (facialHair.beard === 2) {
    const [beardX, beardY] = at(56, (face.chinY + 84) / 2);
    canvas.ellipse(beardX, beardY, len(face.width * face.jaw * 0.95), len((face.chinY - 84) / 2 + 5), angle, hairColour, {
      softness: 2.5,
      opacity: facialHair.density,
    });
  } else if (facialHair.beard === 1) {
    const [goateeX, goateeY] = at(56, face.chinY - 7, 0.3);
    canvas.ellipse(goateeX, goateeY, len(7), len(7.5), angle, hairColour, { softness: 2, opacity: facialHair.density });
  }

  // Fringe over the forehead.
  if (hair.style === 2 || hair.style === 4) {
    const [fringeX, fringeY] = at(56, face.centerY - face.height * 0.7);
    const depth = 6 + hair.fringe * 10;
    canvas.band(
      fringeX,
      fringeY,
      angle + hair.fringeTilt * 0.3,
      len(face.width * 0.92),
      (t) => -len(8 + 4 * (1 - t * t)),
      (t) => len(depth * (1 - 0.5 * t * t) + hair.fringeTilt * 4 * t),
      hairColour,
      { softness: 1.3 },
    );
  }

  // Eyes and brows.
  const landmarks: [number, number][] = [];
  for (const side of [-1, 1]) {
    const eyeCanonicalX = 56 + side * (17.6 + eyes.spacing);
    const eyeCanonicalY = 51.6 + eyes.y;
    const [eyeX, eyeY] = at(eyeCanonicalX, eyeCanonicalY, 0.35);
    landmarks.push([eyeX, eyeY]);
    const eyeAngle = angle - side * eyes.tilt;
    const height = len(eyes.height * Math.max(0.1, eyeOpen));
    canvas.ellipse(eyeX, eyeY, len(eyes.width * 0.55), height + 0.6, eyeAngle, scale(skin, 0.82), { softness: 1.5 });
    canvas.ellipse(eyeX, eyeY, len(eyes.width / 2), height, eyeAngle, [238, 236, 230]);
    if (eyeOpen > 0.3) {
      const irisX = eyeX + v(0.6);
      const irisRadius = len(eyes.height * eyes.irisSize * 1.35);
      canvas.ellipse(irisX, eyeY, irisRadius, Math.min(irisRadius, height), 0, eyes.iris);
      canvas.ellipse(irisX, eyeY, irisRadius * 0.45, Math.min(irisRadius * 0.45, height), 0, [15, 12, 10]);
      canvas.ellipse(irisX + irisRadius * 0.3, eyeY - irisRadius * 0.3, 0.6, 0.6, 0, [255, 255, 255], { opacity: 0.8 });
    }
    canvas.band(
      eyeX,
      eyeY,
      eyeAngle,
      len(eyes.width / 2 + 0.5),
      (t) => -height * Math.sqrt(1 - t * t) - eyes.lid * 0.6,
      (t) => -height * Math.sqrt(1 - t * t) + eyes.lid * 0.5,
      [40, 28, 24],
      { opacity: 0.9 },
    );

    const [browX, browY] = at(eyeCanonicalX + side * 1.5, eyeCanonicalY - brows.height - browRaise, 0.3);
    const browHalf = len(brows.length / 2);
    const taper = (t: number) => 0.7 + 0.3 * (1 - t * side) * 0.5 + 0.15;
    canvas.band(
      browX,
      browY,
      angle + side * brows.tilt,
      browHalf,
      (t) => -len(brows.arch) * (1 - t * t) - len(brows.thickness / 2) * taper(t),
      (t) => -len(brows.arch) * (1 - t * t) + len(brows.thickness / 2) * taper(t),
      brows.colour,
      { opacity: 0.92, softness: 1.2 },
    );
  }

  // Nose: bridge shading, alar wings, nostrils, tip highlight.
  const tipY = 71.7 + nose.length;
  const [tipX, tipImageY] = at(56, tipY, 1);
  for (const side of [-1, 1]) {
    const [topX, topY] = at(56 + side * nose.bridge, 56, 0.6);
    const [bottomX, bottomY] = at(56 + side * nose.width * 0.42, tipY - 2, 1);
    canvas.capsule(topX, topY, bottomX, bottomY, len(1.3), scale(skin, 1 - nose.shade), { softness: 2.5, opacity: 0.8 });
    const [wingX, wingY] = at(56 + side * nose.width * 0.5, tipY + 0.5, 0.9);
    canvas.ellipse(wingX, wingY, len(nose.width * 0.22), len(nose.width * 0.2), angle, scale(skin, 1 - nose.shade * 0.7), { softness: 1.5 });
    const [nostrilX, nostrilY] = at(56 + side * nose.width * 0.26, tipY + 1.6, 0.9);
    canvas.ellipse(nostrilX, nostrilY, len(nose.nostril), len(nose.nostril * 0.55), angle + side * 0.35, scale(skin, 0.35), { softness: 1.2 });
  }
  canvas.ellipse(tipX, tipImageY - len(0.8), len(nose.tip), len(nose.tip * 0.8), angle, scale(skin, 1.08), { softness: 2.5, opacity: 0.8 });
  landmarks.splice(2, 0, [tipX, tipImageY]);

  // Mouth: moustache, lips, the line between them, teeth when open.
  const mouthY = 92.3 + mouth.y;
  const halfWidth = (mouth.width + smile * 2) / 2;
  const curve = mouth.curve + smile * 2.5;
  const gap = open * 5;
  const [mouthX, mouthImageY] = at(56, mouthY, 0.5);
  const line = (t: number) => len(curve * (1 - t * t) - curve);
  if (facialHair.moustache > 0) {
    const thick = facialHair.moustache === 2 ? 4.5 : 2.2;
    const [moustacheX, moustacheY] = at(56, mouthY - mouth.upperLip - 2.5, 0.6);
    canvas.band(
      moustacheX,
      moustacheY,
      angle,
      len(halfWidth + 2),
      (t) => -len(thick) * (1 - 0.4 * t * t) + line(t) * 0.5,
      (t) => len(1) + line(t) * 0.6,
      hairColour,
      { opacity: facialHair.density, softness: 1.3 },
    );
  }
  const lipHalf = len(halfWidth);
  canvas.band(
    mouthX,
    mouthImageY,
    angle,
    lipHalf,
    (t) => line(t) - len(mouth.upperLip) * Math.sqrt(1 - t * t) * (1 - 0.25 * Math.exp(-t * t * 40)) - len(gap / 2),
    (t) => line(t) - len(gap / 2),
    mouth.colour,
    { softness: 1.1 },
  );
  canvas.band(
    mouthX,
    mouthImageY,
    angle,
    lipHalf,
    (t) => line(t) + len(gap / 2),
    (t) => line(t) + len(mouth.lowerLip) * Math.sqrt(1 - t * t) + len(gap / 2),
    scale(mouth.colour, 1.06),
    { softness: 1.1 },
  );
  if (gap > 0.5) {
    canvas.band(
      mouthX,
      mouthImageY,
      angle,
      lipHalf * 0.9,
      (t) => line(t) - len(gap / 2) * Math.sqrt(1 - t * t),
      (t) => line(t) + len(gap / 2) * Math.sqrt(1 - t * t),
      [60, 20, 25],
    );
    canvas.band(
      mouthX,
      mouthImageY,
      angle,
      lipHalf * 0.7,
      (t) => line(t) - len(gap / 2) * Math.sqrt(1 - t * t),
      (t) => line(t) - len(gap / 2) * Math.sqrt(1 - t * t) + len(1.6),
      [235, 230, 220],
      { opacity: 0.9 },
    );
  }
  canvas.band(
    mouthX,
    mouthImageY,
    angle,
    lipHalf,
    (t) => line(t) - 0.45,
    (t) => line(t) + 0.45,
    scale(mouth.colour, 0.45),
    { opacity: 0.9 },
  );
  for (const side of [-1, 1]) {
    const t = side;
    const cornerLocalX = t * lipHalf;
    const cornerLocalY = line(t);
    landmarks.push([
      mouthX + cornerLocalX * Math.cos(angle) - cornerLocalY * Math.sin(angle),
      mouthImageY + cornerLocalX * Math.sin(angle) + cornerLocalY * Math.cos(angle),
    ]);
  }

  if (identity.mole.present) {
    const [moleX, moleY] = at(56 + identity.mole.x, identity.mole.y, 0.4);
    canvas.ellipse(moleX, moleY, len(identity.mole.size), len(identity.mole.size), 0, [70, 45, 35], { opacity: 0.85 });
  }

  if (identity.glasses.present) {
    const glasses = identity.glasses;
    const [leftX, leftY] = landmarks[0]!;
    const [rightX, rightY] = landmarks[1]!;
    for (const [x, y] of [
      [leftX, leftY],
      [rightX, rightY],
    ] as const) {
      const rx = len(glasses.size);
      const ry = len(glasses.size * (glasses.round ? 0.85 : 0.62));
      canvas.ellipse(x, y, rx, ry, angle, [200, 220, 235], { opacity: 0.12 });
      canvas.ring(x, y, rx, ry, angle, len(glasses.thickness), glasses.colour);
    }
    canvas.capsule(
      leftX + len(glasses.size) * Math.cos(angle),
      leftY + len(glasses.size) * Math.sin(angle),
      rightX - len(glasses.size) * Math.cos(angle),
      rightY - len(glasses.size) * Math.sin(angle),
      len(glasses.thickness / 2),
      glasses.colour,
    );
  }

  // Light: a directional gradient, brightness, contrast and a colour cast.
  const lightAngle = rng.uniform(0, 2 * Math.PI);
  const strength = rng.uniform(0, 0.45) * Math.min(1, variation);
  const brightness = 1 + v(0.12);
  const contrast = 1 + v(0.1);
  const cast = [1 + v(0.05), 1 + v(0.05), 1 + v(0.05)];
  applyLight(canvas.data, (Math.cos(lightAngle) * strength) / 56, (Math.sin(lightAngle) * strength) / 56, brightness, contrast, cast);
  const blurSigma = Math.max(0, rng.uniform(-0.3, 1.3) * variation);
  if (blurSigma > 0.05) blur(canvas.data, blurSigma);
  const noiseSigma = rng.uniform(0, 7) * Math.min(1, variation);
  if (noiseSigma > 0.1) addNoise(canvas.data, noiseSigma, rng);

  return { image: { data: canvas.toBytes(), width: SIZE, height: SIZE, channels: 3 }, landmarks };
}

function applyLight(data: Float32Array, directionX: number, directionY: number, brightness: number, contrast: number, cast: number[]): void {
  const red = cast[0]! * contrast;
  const green = cast[1]! * contrast;
  const blue = cast[2]! * contrast;
  const offset = 128 - 128 * contrast;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const factor = brightness * (1 + (x - 56) * directionX + (y - 56) * directionY);
      const i = (y * SIZE + x) * 3;
      data[i] = data[i]! * factor * red + offset;
      data[i + 1] = data[i + 1]! * factor * green + offset;
      data[i + 2] = data[i + 2]! * factor * blue + offset;
    }
  }
}

/**
 * Adds noise of standard deviation `sigma`: the sum of two uniforms (triangular, variance 2/12 each unit).
 * Per-pixel draws come from a xorshift32 stream seeded by `rng` (one draw gives both 16-bit uniforms):
 * two xoshiro calls per value were a quarter of the render time, and image noise needs no better.
 */
function addNoise(data: Float32Array, sigma: number, rng: Rng): void {
  const factor = (sigma * Math.sqrt(6)) / 65536;
  let state = rng.nextUint32() | 1;
  for (let i = 0; i < data.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    data[i] = data[i]! + ((state >>> 16) + (state & 0xffff) - 65535) * factor;
  }
}

/** Separable Gaussian-like blur: passes of the 3-tap kernel [w, 1 - 2w, w] (variance 2w each). */
function blur(data: Float32Array, sigma: number): void {
  const variance = sigma * sigma;
  const passes = Math.ceil(variance / 0.5);
  const w = variance / passes / 2;
  const tmp = new Float32Array(data.length);
  for (let pass = 0; pass < passes; pass++) {
    // Horizontal then vertical: `step` is the distance to a neighbour, `lineStep` to the next line.
    for (let direction = 0; direction < 2; direction++) {
      const step = direction === 0 ? 3 : SIZE * 3;
      const lineStep = direction === 0 ? SIZE * 3 : 3;
      tmp.set(data);
      for (let line = 0; line < SIZE; line++) {
        for (let k = 0; k < SIZE; k++) {
          const base = line * lineStep + k * step;
          const previous = k > 0 ? base - step : base;
          const next = k < SIZE - 1 ? base + step : base;
          data[base] = tmp[base]! * (1 - 2 * w) + (tmp[previous]! + tmp[next]!) * w;
          data[base + 1] = tmp[base + 1]! * (1 - 2 * w) + (tmp[previous + 1]! + tmp[next + 1]!) * w;
          data[base + 2] = tmp[base + 2]! * (1 - 2 * w) + (tmp[previous + 2]! + tmp[next + 2]!) * w;
        }
      }
    }
  }
}
