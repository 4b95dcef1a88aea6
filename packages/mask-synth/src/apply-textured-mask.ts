import { assertArgument } from '@bigface/backend/errors';
import { Rng } from '@bigface/backend/random';
import { TEMPLATE_ANCHORS, faceAnchors } from './face-anchors';
import { resolveFaceGeometry, type Landmarks } from './face-geometry';
import { applyHomography, applySimilarity, fitHomography, invertHomography, type Homography, type Point } from './geometry';
import { MEAN_FACE_68 } from './mean-face-68';
import { MASK_TEMPLATES, MASK_TYPES, type MaskType } from './mask-types';
import type { MaskMetadata, MaskResult } from './mask-result';
import { cutCoverageBelowEyes, measureFaceLuma } from './face-shading';
import { accumulatePolygonCoverage, polygonsBounds } from './raster';
import { assertRawImage, type RawImage } from './raw-image';
import { MASK_TEXTURES, makeTexture, textureColourCount, type MaskTexture } from './textures';

/** Named colours of the textured synthesizer (sRGB). */
export const TEXTURED_MASK_COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  white: [236, 236, 232],
  black: [34, 34, 38],
  grey: [128, 130, 134],
  'light-blue': [140, 185, 225],
  navy: [35, 50, 95],
  red: [190, 40, 45],
  pink: [232, 150, 175],
  green: [60, 140, 80],
  olive: [105, 110, 60],
  khaki: [190, 175, 130],
  brown: [110, 75, 45],
  purple: [110, 60, 140],
  yellow: [235, 200, 60],
  teal: [40, 140, 140],
};
const CAMOUFLAGE_COLOURS = ['olive', 'khaki', 'brown', 'black', 'green'];
// Filters and valves are moulded plastic: a neutral grey tinted by the mask's first colour, so that they
// read as parts of that mask. (A fixed near-black grey, further darkened by brightness matching, made
// them look like black blobs hanging at the bottom of the mask.)
const PART_GREY: readonly [number, number, number] = [120, 122, 128];
const PART_TINT = 0.45;

/** Options of {@link applyTexturedMask}. */
export interface TexturedMaskOptions {
  /** Seeds every random choice (type, texture, colours, pattern); same seed ⇒ same pixels. */
  seed: number;
  /** 5 or 68 landmarks in pixels; optional for 112x112 aligned crops. */
  landmarks?: Landmarks;
  /** Force a mask shape instead of drawing one. */
  type?: MaskType;
  /** Force a texture instead of drawing one. */
  texture?: MaskTexture;
  /** Force colours (names of TEXTURED_MASK_COLOURS) instead of drawing them. */
  colours?: readonly string[];
  /** Names the input in error messages (a file name, a record index). */
  inputName?: string;
}

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

/** Blend weight of the left-half homography at template u: 1 on the left, 0 on the right, smooth between. */
function leftWeight(u: number): number {
  return 1 - smoothstep(0.3, 0.7, u);
}

/**
 * The textured synthesizer, in the manner of MaskTheFace (Anwar & Raychowdhury 2020,
 * https://arxiv.org/abs/2008.11104): a vector mask template from a catalogue ({@link MASK_TYPES}) is placed
 * on six face anchors (nose bridge, cheeks at the nose tip's height, jaw at the lips' height, chin) by
 * two homographies, one per face half, blended across the middle so that a turned or tilted head warps
 * the mask; then painted with a procedural texture ({@link MASK_TEXTURES}) in random colours and
 * brightness-matched to the face. Works on raw pixels; the input is not modified.
 *
 * @example
 * import { applyTexturedMask } from '@bigface/mask-synth';
 * // an aligned 112x112 RGB crop: landmarks are optional
 * const { image, alpha, metadata } = applyTexturedMask({ data, width: 112, height: 112, channels: 3 }, { seed: 7 });
 * metadata; // { synthesizer: 'textured', type: 'kn95', texture: 'checks', colour: 'navy+white', seed: 7 }
 */
export function applyTexturedMask(image: RawImage, options: TexturedMaskOptions): MaskResult {
  const inputName = options.inputName ?? 'image';
  assertRawImage(image, inputName);
  assertArgument(Number.isInteger(options.seed), 'INVALID_SEED', () => `applyTexturedMask(${inputName}): seed must be an integer, got ${options.seed}`);
  if (options.type !== undefined) {
    assertArgument(MASK_TYPES.includes(options.type), 'UNKNOWN_MASK_TYPE', () => `unknown mask type '${options.type}': choose one of ${MASK_TYPES.join(', ')}`);
  }
  if (options.texture !== undefined) {
    assertArgument(
      MASK_TEXTURES.includes(options.texture),
      'UNKNOWN_TEXTURE',
      () => `unknown texture '${options.texture}': choose one of ${MASK_TEXTURES.join(', ')}`,
    );
  }
  for (const colour of options.colours ?? []) {
    assertArgument(
      colour in TEXTURED_MASK_COLOURS,
      'UNKNOWN_COLOUR',
      () => `unknown colour '${colour}': choose from ${Object.keys(TEXTURED_MASK_COLOURS).join(', ')}`,
    );
  }
  const { width, height, channels, data } = image;
  const face = resolveFaceGeometry(options.landmarks, width, height, inputName);

  // Random choices, always drawn in the same order so that forcing one keeps the others.
  const rng = new Rng(options.seed);
  const drawnType = rng.choice(MASK_TYPES);
  const drawnTexture = rng.choice(MASK_TEXTURES);
  const type = options.type ?? drawnType;
  const texture = options.texture ?? drawnTexture;
  const palette = texture === 'camouflage' ? CAMOUFLAGE_COLOURS : Object.keys(TEXTURED_MASK_COLOURS);
  const drawnColours = rng.shuffle(palette.slice()).slice(0, 3);
  const colourNames = (options.colours && options.colours.length > 0 ? options.colours : drawnColours).slice(0, textureColourCount(texture));
  while (colourNames.length < textureColourCount(texture)) colourNames.push(drawnColours[colourNames.length]!);
  const colours = colourNames.map((name) => TEXTURED_MASK_COLOURS[name]!);
  const partRgb = PART_GREY.map((grey, k) => (1 - PART_TINT) * grey + PART_TINT * colours[0]![k]!);
  const variant = rng.int(2);
  const textureAt = makeTexture(texture, rng);
  const template = MASK_TEMPLATES[type];
  const metadataOf = (): MaskMetadata => ({ synthesizer: 'textured', type, colour: colourNames.join('+'), texture, seed: options.seed });

  // Face anchors in pixels, and one homography per half: template → image.
  const anchors = faceAnchors(face.canonicalPoints).map((point) => applySimilarity(face.toImage, point));
  const templateAnchors = TEMPLATE_ANCHORS;
  const pick = (list: readonly Point[], indices: number[]) => indices.map((i) => list[i]!);
  let left = fitHomography(pick(templateAnchors, [0, 1, 2, 3]), pick(anchors, [0, 1, 2, 3]));
  let right = fitHomography(pick(templateAnchors, [0, 4, 5, 3]), pick(anchors, [0, 4, 5, 3]));
  const fallback = () => {
    // A degenerate quad (extreme yaw, odd 68-point fits): place the template on the mean face instead.
    const meanAnchors = faceAnchors(MEAN_FACE_68).map((point) => applySimilarity(face.toImage, point));
    left = fitHomography(pick(templateAnchors, [0, 1, 2, 3]), pick(meanAnchors, [0, 1, 2, 3]));
    right = fitHomography(pick(templateAnchors, [0, 4, 5, 3]), pick(meanAnchors, [0, 4, 5, 3]));
  };
  const forward = (u: number, v: number): [number, number] | null => {
    const w = leftWeight(u);
    const a = applyHomography(left!, u, v);
    const b = applyHomography(right!, u, v);
    const x = w * a[0] + (1 - w) * b[0];
    const y = w * a[1] + (1 - w) * b[1];
    return Number.isFinite(x) && Number.isFinite(y) ? [x, y] : null;
  };
  const shapes = [template.outline, ...template.parts];
  const mapShapes = (): { xs: Float64Array; ys: Float64Array }[] | null => {
    const mapped = [];
    for (const shape of shapes) {
      const xs = new Float64Array(shape.length);
      const ys = new Float64Array(shape.length);
      for (let i = 0; i < shape.length; i++) {
        const point = forward(shape[i]![0], shape[i]![1]);
        if (point === null) return null;
        [xs[i], ys[i]] = point;
      }
      mapped.push({ xs, ys });
    }
    return mapped;
  };
  const projectiveOk = (h: Homography | null) => {
    if (h === null) return false;
    // The template's whole extent must stay in front of the projective horizon.
    for (const [u, v] of [
      [-0.2, -0.3],
      [1.2, -0.3],
      [-0.2, 1.3],
      [1.2, 1.3],
    ] as const) {
      if (h[6]! * u + h[7]! * v + h[8]! <= 0.05) return false;
    }
    return true;
  };
  if (!projectiveOk(left) || !projectiveOk(right)) fallback();
  let mapped = mapShapes();
  if (mapped === null) {
    fallback();
    mapped = mapShapes()!;
  }

  const coverage = new Float32Array(width * height);
  for (const { xs, ys } of mapped) accumulatePolygonCoverage(xs, ys, width, height, coverage);
  const out = new Uint8Array(data);
  const alpha = new Uint8Array(width * height);
  const box = polygonsBounds(mapped, width, height);
  if (box === null) return { image: { data: out, width, height, channels }, alpha, metadata: metadataOf() };

  // Never over the eyes, whatever the pose or the landmarks: cut the mask under the lower eyelids.
  cutCoverageBelowEyes(coverage, width, box, face);

  // The face's luminance only matters under the mask: measure and blur it in a window around the
  // mask (the blur radius wide), which gives the same values as blurring the whole image there.
  const radius = Math.max(1, Math.round(4 * face.scale));
  const { luma, wx0, wy0, windowWidth, faceLuma } = measureFaceLuma(data, width, height, channels, coverage, box, radius);
  const brightness = Math.min(1.15, Math.max(0.4, faceLuma / 140));
  paintMask({
    data,
    out,
    alpha,
    coverage,
    width,
    channels,
    box,
    luma,
    wx0,
    wy0,
    windowWidth,
    faceLuma,
    brightness,
    inverseLeft: invertHomography(left!),
    inverseRight: invertHomography(right!),
    decoration: template.decoration,
    variant,
    textureAt,
    colours,
    partRgb,
  });
  return { image: { data: out, width, height, channels }, alpha, metadata: metadataOf() };
}

/** Everything {@link paintMask} needs, gathered so that its loop runs in a small, monomorphic function. */
interface PaintJob {
  data: Uint8Array;
  out: Uint8Array;
  alpha: Uint8Array;
  coverage: Float32Array;
  width: number;
  channels: number;
  box: { x0: number; y0: number; x1: number; y1: number };
  luma: Float32Array;
  wx0: number;
  wy0: number;
  windowWidth: number;
  faceLuma: number;
  brightness: number;
  inverseLeft: Homography;
  inverseRight: Homography;
  decoration: (u: number, v: number, variant: number) => number;
  variant: number;
  textureAt: (u: number, v: number) => number;
  colours: readonly (readonly [number, number, number])[];
  partRgb: readonly number[];
}

/**
 * Paints the mask over every covered pixel of the box: template coordinates by the two inverse
 * homographies blended across the middle, decoration (folds, seams, parts), texture colour, light.
 */
function paintMask(job: PaintJob): void {
  const { data, out, alpha, coverage, width, channels, box, luma, wx0, wy0, windowWidth, faceLuma, brightness, decoration, variant, textureAt, colours } = job;
  const [l0, l1, l2, l3, l4, l5, l6, l7, l8] = job.inverseLeft as unknown as number[];
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = job.inverseRight as unknown as number[];
  const colourCount = colours.length;
  const [baseRed, baseGreen, baseBlue] = colours[0]!;
  const [partRed, partGreen, partBlue] = job.partRgb as [number, number, number];
  for (let y = box.y0; y <= box.y1; y++) {
    const py = y + 0.5;
    for (let x = box.x0; x <= box.x1; x++) {
      const index = y * width + x;
      const c = coverage[index]!;
      if (c <= 0) continue;
      const px = x + 0.5;
      const wl = 1 / (l6! * px + l7! * py + l8!);
      const uL = (l0! * px + l1! * py + l2!) * wl;
      const vL = (l3! * px + l4! * py + l5!) * wl;
      const wr = 1 / (r6! * px + r7! * py + r8!);
      const uR = (r0! * px + r1! * py + r2!) * wr;
      const vR = (r3! * px + r4! * py + r5!) * wr;
      const w = leftWeight((uL + uR) / 2);
      const u = w * uL + (1 - w) * uR;
      const v = w * vL + (1 - w) * vR;
      const decorationValue = decoration(u, v, variant);
      const shade = Math.abs(decorationValue);
      let r: number;
      let g: number;
      let b: number;
      if (decorationValue < 0) {
        r = partRed;
        g = partGreen;
        b = partBlue;
      } else if (colourCount === 1) {
        r = baseRed;
        g = baseGreen;
        b = baseBlue;
      } else {
        const t = textureAt(u, v);
        const low = Math.min(colourCount - 1, Math.floor(t));
        const high = Math.min(colourCount - 1, low + 1);
        const f = t - Math.floor(t);
        const ca = colours[low]!;
        const cb = colours[high]!;
        r = ca[0] + (cb[0] - ca[0]) * f;
        g = ca[1] + (cb[1] - ca[1]) * f;
        b = ca[2] + (cb[2] - ca[2]) * f;
      }
      const local = luma[(y - wy0) * windowWidth + (x - wx0)]! / faceLuma;
      const light = shade * brightness * (1 + 0.3 * (local - 1));
      const p = index * channels;
      out[p] = Math.round(data[p]! * (1 - c) + Math.min(255, r * light) * c);
      out[p + 1] = Math.round(data[p + 1]! * (1 - c) + Math.min(255, g * light) * c);
      out[p + 2] = Math.round(data[p + 2]! * (1 - c) + Math.min(255, b * light) * c);
      alpha[index] = Math.round(c * 255);
    }
  }
}
