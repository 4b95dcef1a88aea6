import type { Point } from './geometry';

/** Mask shapes of the textured synthesizer. */
export const MASK_TYPES = ['surgical', 'n95', 'kn95', 'cloth', 'gas-mask'] as const;
/** One of {@link MASK_TYPES}. */
export type MaskType = (typeof MASK_TYPES)[number];

/**
 * A mask drawn as vectors in template space: u runs across the face (0 at the left cheek, 1 at the
 * right), v down it (0 at the nose bridge, 1 at the chin); the face anchor points sit where
 * `anchorsInTemplate` says. `outline` is a closed smooth curve; `parts` are extra closed shapes
 * (filters) that add to the outline. `decoration` gives the shade at a template point: a factor around 1
 * that darkens or lightens the fabric, or, negated, the shade of a moulded part (filter, valve: grey
 * tinted by the mask colour) there. A number rather than an object: it runs once per masked pixel.
 */
export interface MaskTemplate {
  outline: Point[];
  parts: Point[][];
  decoration: (u: number, v: number, variant: number) => number;
}

function catmullRomClosed(control: readonly Point[], samplesPerSegment = 8): Point[] {
  const out: Point[] = [];
  const n = control.length;
  for (let i = 0; i < n; i++) {
    const p0 = control[(i - 1 + n) % n]!;
    const p1 = control[i]!;
    const p2 = control[(i + 1) % n]!;
    const p3 = control[(i + 2) % n]!;
    for (let s = 0; s < samplesPerSegment; s++) {
      const t = s / samplesPerSegment;
      const t2 = t * t;
      const t3 = t2 * t;
      const blend = (a: number, b: number, c: number, d: number) =>
        0.5 * (2 * b + (-a + c) * t + (2 * a - 5 * b + 4 * c - d) * t2 + (-a + 3 * b - 3 * c + d) * t3);
      out.push([blend(p0[0], p1[0], p2[0], p3[0]), blend(p0[1], p1[1], p2[1], p3[1])]);
    }
  }
  return out;
}

function circle(cx: number, cy: number, rx: number, ry: number, segments = 40): Point[] {
  return Array.from({ length: segments }, (_, i) => {
    const angle = (2 * Math.PI * i) / segments;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)] as const;
  });
}

/** A soft line: 1 on it, 0 beyond `width`. */
function line(distance: number, width: number): number {
  const t = Math.abs(distance) / width;
  return t >= 1 ? 0 : 1 - t * t;
}

export const MASK_TEMPLATES: Readonly<Record<MaskType, MaskTemplate>> = {
  surgical: {
    outline: catmullRomClosed([
      [-0.07, 0.03],
      [0.2, -0.05],
      [0.5, -0.09],
      [0.8, -0.05],
      [1.07, 0.03],
      [1.09, 0.45],
      [1.03, 0.86],
      [0.8, 1.03],
      [0.5, 1.08],
      [0.2, 1.03],
      [-0.03, 0.86],
      [-0.09, 0.45],
    ]),
    parts: [],
    decoration: (u, v) => {
      // Three pleats: a dark fold with a lit band above it; a binding strip along the top.
      let shade = 1;
      for (const fold of [0.3, 0.52, 0.74]) {
        const y = fold + 0.05 * (u - 0.5) * (u - 0.5);
        shade -= 0.2 * line(v - y, 0.025);
        shade += 0.07 * line(v - y + 0.05, 0.04);
      }
      shade -= 0.08 * line(v + 0.06 - 0.04 * Math.abs(u - 0.5), 0.035);
      return shade;
    },
  },
  n95: {
    outline: catmullRomClosed([
      [0.5, -0.13],
      [0.78, -0.04],
      [1.0, 0.2],
      [1.06, 0.5],
      [0.95, 0.82],
      [0.72, 1.02],
      [0.5, 1.1],
      [0.28, 1.02],
      [0.05, 0.82],
      [-0.06, 0.5],
      [0.0, 0.2],
      [0.22, -0.04],
    ]),
    parts: [],
    decoration: (u, v, variant) => {
      let shade = 1 - 0.12 * line(v + 0.06 - 0.25 * Math.abs(u - 0.5), 0.04); // nose clip
      shade -= 0.1 * Math.max(0, Math.sqrt(((u - 0.5) / 0.6) ** 2 + ((v - 0.5) / 0.7) ** 2) - 0.6); // cup curvature
      if (variant % 2 === 1) {
        const r = Math.sqrt((u - 0.7) ** 2 + (v - 0.62) ** 2);
        if (r < 0.11) return r < 0.09 ? -0.9 : -0.7; // exhalation valve
      }
      return shade;
    },
  },
  kn95: {
    outline: catmullRomClosed([
      [0.5, -0.15],
      [0.75, -0.05],
      [1.02, 0.12],
      [1.07, 0.5],
      [0.9, 0.88],
      [0.5, 1.1],
      [0.1, 0.88],
      [-0.07, 0.5],
      [-0.02, 0.12],
      [0.25, -0.05],
    ]),
    parts: [],
    decoration: (u, v) => {
      let shade = 1 - 0.22 * line(u - 0.5, 0.02); // centre seam
      shade += u < 0.5 ? -0.05 : 0.04; // the two folded panels catch light differently
      shade -= 0.1 * line(v + 0.09 - 0.2 * Math.abs(u - 0.5), 0.03);
      return shade;
    },
  },
  cloth: {
    outline: catmullRomClosed([
      [0.5, -0.1],
      [0.85, -0.04],
      [1.08, 0.15],
      [1.1, 0.55],
      [0.95, 0.9],
      [0.5, 1.12],
      [0.05, 0.9],
      [-0.1, 0.55],
      [-0.08, 0.15],
      [0.15, -0.04],
    ]),
    parts: [],
    decoration: (u, v) => {
      // A stitched centre seam (dashes) and soft fabric folds.
      const stitch = Math.sin(v * 60) > 0 ? line(u - 0.5, 0.015) : 0;
      return 1 - 0.25 * stitch + 0.04 * Math.sin(u * 14 + v * 3);
    },
  },
  'gas-mask': {
    outline: catmullRomClosed([
      [0.5, -0.14],
      [0.8, 0.0],
      [1.02, 0.3],
      [1.04, 0.65],
      [0.85, 0.95],
      [0.5, 1.08],
      [0.15, 0.95],
      [-0.04, 0.65],
      [-0.02, 0.3],
      [0.2, 0.0],
    ]),
    // Two side filters at mouth height, set into the cheeks (not hanging below the jaw), and a front valve.
    parts: [circle(0.08, 0.66, 0.17, 0.17), circle(0.92, 0.66, 0.17, 0.17)],
    decoration: (u, v) => {
      for (const cx of [0.08, 0.92]) {
        const r = Math.sqrt((u - cx) ** 2 + (v - 0.66) ** 2);
        if (r < 0.17) return -(0.85 + 0.2 * line(Math.sin(r * 80), 0.5) - 0.25 * line(r - 0.16, 0.015));
      }
      const front = Math.sqrt((u - 0.5) ** 2 + (v - 0.76) ** 2);
      if (front < 0.12) return -(0.8 + 0.2 * line(Math.sin((u - 0.5) * 120), 0.4));
      return 1;
    },
  },
};
