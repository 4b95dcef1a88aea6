import { assertArgument } from '@bigface/backend/errors';
import { Rng } from '@bigface/backend/random';
import { jawXAtLevel } from './face-anchors';
import { resolveFaceGeometry, type Landmarks } from './face-geometry';
import { applySimilarity, type Point } from './geometry';
import type { MaskResult } from './mask-result';
import { cutCoverageBelowEyes, measureFaceLuma } from './face-shading';
import { accumulatePolygonCoverage, boxBlurWindow, polygonsBounds } from './raster';
import { assertRawImage, type RawImage } from './raw-image';

/**
 * Colours of the natural synthesizer and their probabilities, as in insightface's mask renderer
 * (`mask_white`, `mask_blue`, `mask_black`, `mask_green` with probabilities 0.4, 0.4, 0.1, 0.1).
 */
export const NATURAL_MASK_COLOURS: ReadonlyArray<{ name: string; rgb: readonly [number, number, number]; probability: number }> = [
  { name: 'white', rgb: [238, 240, 242], probability: 0.4 },
  { name: 'blue', rgb: [118, 170, 214], probability: 0.4 },
  { name: 'black', rgb: [40, 41, 45], probability: 0.1 },
  { name: 'green', rgb: [110, 170, 150], probability: 0.1 },
];

/** The top edge's height range, as a fraction of the face height from the brows to the chin. */
export const NATURAL_TOP_EDGE_RANGE: readonly [number, number] = [0.33, 0.35];

/** Options of {@link applyNaturalMask}. */
export interface NaturalMaskOptions {
  /** Seeds the colour and the top edge height; same seed ⇒ same pixels. */
  seed: number;
  /** 5 or 68 landmarks in pixels; optional for 112x112 aligned crops. */
  landmarks?: Landmarks;
  /** Force a colour (a name in NATURAL_MASK_COLOURS) instead of drawing one. */
  colour?: string;
  /** Force the top edge height (fraction of the face height, brows to chin) instead of drawing it. */
  topEdge?: number;
  /** Names the input in error messages. */
  inputName?: string;
}

function line(distance: number, width: number): number {
  const t = Math.abs(distance) / width;
  return t >= 1 ? 0 : 1 - t * t;
}

/**
 * The natural synthesizer, after insightface's mask renderer: a commodity surgical mask whose sides and
 * bottom follow the face's own jaw contour, whose top edge sits at a fraction in [0.33, 0.35] of the face
 * height (brows to chin; see {@link NATURAL_TOP_EDGE_RANGE}) and rides up over the nose, coloured
 * white / blue / black / green with probabilities 0.4 / 0.4 / 0.1 / 0.1, shaded by the face's own
 * (blurred) luminance so that light and shadow carry through, with three pleats, ear loops and soft
 * anti-aliased edges. Works on raw pixels; the input is not modified.
 *
 * @example
 * import { applyNaturalMask } from '@bigface/mask-synth';
 * const { image, alpha, metadata } = applyNaturalMask({ data, width: 112, height: 112, channels: 3 }, { seed: 3 });
 * metadata; // { synthesizer: 'natural', type: 'surgical', colour: 'blue', texture: 'pleats', topEdge: 0.3412, seed: 3 }
 */
export function applyNaturalMask(image: RawImage, options: NaturalMaskOptions): MaskResult {
  const inputName = options.inputName ?? 'image';
  assertRawImage(image, inputName);
  assertArgument(Number.isInteger(options.seed), 'INVALID_SEED', () => `applyNaturalMask(${inputName}): seed must be an integer, got ${options.seed}`);
  const names = NATURAL_MASK_COLOURS.map((colour) => colour.name);
  if (options.colour !== undefined) {
    assertArgument(
      names.includes(options.colour),
      'UNKNOWN_COLOUR',
      () => `unknown natural mask colour '${options.colour}': choose one of ${names.join(', ')}`,
    );
  }
  if (options.topEdge !== undefined) {
    assertArgument(
      options.topEdge >= 0.2 && options.topEdge <= 0.5,
      'INVALID_ARGUMENT',
      () => `applyNaturalMask(${inputName}): topEdge must be in [0.2, 0.5], got ${options.topEdge}`,
    );
  }
  const { width, height, channels, data } = image;
  const face = resolveFaceGeometry(options.landmarks, width, height, inputName);

  const rng = new Rng(options.seed);
  const drawnColour = rng.weightedIndex(NATURAL_MASK_COLOURS.map((colour) => colour.probability));
  const drawnTopEdge = rng.uniform(NATURAL_TOP_EDGE_RANGE[0], NATURAL_TOP_EDGE_RANGE[1]);
  const colour = NATURAL_MASK_COLOURS[options.colour === undefined ? drawnColour : names.indexOf(options.colour)]!;
  const topEdge = options.topEdge ?? drawnTopEdge;

  // Outline in the canonical frame, from this face's own jaw contour.
  const points = face.canonicalPoints;
  let browY = 0;
  for (let i = 17; i <= 26; i++) browY += points[i]![1] / 10;
  const chin = points[8]!;
  const faceHeight = chin[1] - browY;
  const topY = browY + topEdge * faceHeight;
  const noseX = (points[27]![0] + points[28]![0] + points[29]![0] + points[30]![0]) / 4;
  const leftX = jawXAtLevel(points, 'left', topY);
  const rightX = jawXAtLevel(points, 'right', topY);
  const halfWidth = Math.max(1, (rightX - leftX) / 2);
  const bulge = 0.04 * faceHeight;
  const outline: Point[] = [];
  const topCurve = (x: number) => topY - 0.05 * faceHeight * Math.exp(-(((x - noseX) / (0.45 * halfWidth)) ** 2));
  for (let s = 0; s <= 20; s++) {
    const x = leftX - bulge + ((rightX - leftX + 2 * bulge) * s) / 20;
    outline.push([x, topCurve(x)]);
  }
  for (let k = 16; k >= 0; k--) {
    const [x, y] = points[k]!;
    if (y <= topY) continue;
    const dx = x - noseX;
    const dy = y - topY;
    const length = Math.hypot(dx, dy) || 1;
    outline.push([x + (bulge * dx) / length, y + (bulge * dy) / length]);
  }
  const loops: Point[][] = [];
  for (const side of [-1, 1] as const) {
    const jawTop = points[side < 0 ? 1 : 15]!;
    const ear: Point = [jawTop[0] + side * 0.12 * faceHeight, jawTop[1]];
    const corner: Point = [side < 0 ? leftX - bulge : rightX + bulge, topY];
    const lipsY = (points[62]![1] + points[66]![1]) / 2;
    const lower: Point = [jawXAtLevel(points, side < 0 ? 'left' : 'right', lipsY) + side * bulge, lipsY];
    const thickness = 0.012 * faceHeight;
    for (const start of [corner, lower]) {
      const dx = ear[0] - start[0];
      const dy = ear[1] - start[1];
      const length = Math.hypot(dx, dy) || 1;
      const nx = (-dy / length) * thickness;
      const ny = (dx / length) * thickness;
      loops.push([
        [start[0] + nx, start[1] + ny],
        [ear[0] + nx, ear[1] + ny],
        [ear[0] - nx, ear[1] - ny],
        [start[0] - nx, start[1] - ny],
      ]);
    }
  }

  const coverage = new Float32Array(width * height);
  const shapes = [outline, ...loops].map((shape) => {
    const xs = new Float64Array(shape.length);
    const ys = new Float64Array(shape.length);
    shape.forEach((point, i) => {
      [xs[i], ys[i]] = applySimilarity(face.toImage, point);
    });
    return { xs, ys };
  });
  for (const { xs, ys } of shapes) accumulatePolygonCoverage(xs, ys, width, height, coverage);
  // Work only in a box around the mask: grown by the soft-edge blur (which spreads the mask) and, for
  // the blur itself, by that much again so that its clamped window edges only ever see zeros.
  const edgeRadius = face.scale >= 1.5 ? Math.round(0.5 * face.scale) : 0;
  const polygonBox = polygonsBounds(shapes, width, height);
  const out = new Uint8Array(data);
  const alpha = new Uint8Array(width * height);
  const bounds = polygonsBounds(shapes, width, height, edgeRadius);
  if (polygonBox !== null && bounds !== null) {
    // Never over the eyes, whatever the pose or the landmarks: cut the mask under the lower eyelids.
    cutCoverageBelowEyes(coverage, width, polygonBox, face);
    // Soft edges: a fabric edge is not a vector edge.
    if (edgeRadius >= 1) boxBlurWindow(coverage, width, polygonsBounds(shapes, width, height, 2 * edgeRadius)!, edgeRadius);

    // The face's luminance under the mask, and blurred around it (the same values as blurring the
    // whole image there, as the window reaches the blur radius beyond the mask).
    const radius = Math.max(1, Math.round(5 * face.scale));
    const { luma, wx0, wy0, windowWidth, faceLuma } = measureFaceLuma(data, width, height, channels, coverage, bounds, radius);
    const exposure = Math.min(1.1, Math.max(0.3, faceLuma / 150));
    const [red, green, blue] = colour.rgb;
    const pleatSpan = chin[1] - topY;
    const { a, b, tx, ty } = face.toCanonical;
    for (let y = bounds.y0; y <= bounds.y1; y++) {
      for (let x = bounds.x0; x <= bounds.x1; x++) {
        const index = y * width + x;
        const c = coverage[index]!;
        if (c <= 0) continue;
        const px = x + 0.5;
        const py = y + 0.5;
        const cx = a * px - b * py + tx;
        const cy = b * px + a * py + ty;
        const across = (cx - noseX) / halfWidth;
        // Pleats bow down towards the middle of the face: three folds at 0.3, 0.5 and 0.7 of the way
        // down, each a dark line with a lit band just above it.
        const q = (cy - topY) / pleatSpan - 0.06 * (1 - Math.min(1, across * across));
        const shade =
          1 -
          0.15 * Math.min(1, across * across) -
          0.16 * (line(q - 0.3, 0.035) + line(q - 0.5, 0.035) + line(q - 0.7, 0.035)) +
          0.06 * (line(q - 0.24, 0.05) + line(q - 0.44, 0.05) + line(q - 0.64, 0.05));
        const local = luma[(y - wy0) * windowWidth + (x - wx0)]! / faceLuma;
        const light = exposure * shade * Math.max(0.2, 1 + 0.8 * (local - 1));
        const p = index * channels;
        out[p] = Math.round(data[p]! * (1 - c) + Math.min(255, red * light) * c);
        out[p + 1] = Math.round(data[p + 1]! * (1 - c) + Math.min(255, green * light) * c);
        out[p + 2] = Math.round(data[p + 2]! * (1 - c) + Math.min(255, blue * light) * c);
        alpha[index] = Math.round(c * 255);
      }
    }
  }
  return {
    image: { data: out, width, height, channels },
    alpha,
    metadata: {
      synthesizer: 'natural',
      type: 'surgical',
      colour: colour.name,
      texture: 'pleats',
      seed: options.seed,
      topEdge: Number(topEdge.toFixed(4)),
    },
  };
}
