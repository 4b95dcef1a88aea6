/** An RGB colour, 0..255 a channel. */
export type Colour = readonly [number, number, number];

/** Options shared by the shape fills of {@link SynthCanvas}. */
export interface FillOptions {
  /** 0..1 (default 1). */
  opacity?: number;
  /** Width of the anti-aliased edge in pixels (default 1; larger values give soft shading). */
  softness?: number;
}

const clamp01 = (value: number) => (value < 0 ? 0 : Math.min(value, 1));

/**
 * A tiny anti-aliased rasteriser on a float RGB buffer for SynthFaces: every shape is a signed
 * distance function (in pixels) whose coverage is `clamp(0.5 - distance / softness)`; pixels are
 * visited only inside the shape's bounding box. Internal to the package.
 */
export class SynthCanvas {
  readonly data: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Float32Array(width * height * 3);
  }

  /** A vertical gradient from `top` to `bottom` over the whole canvas. */
  verticalGradient(top: Colour, bottom: Colour): void {
    const { data, width, height } = this;
    for (let y = 0; y < height; y++) {
      const t = y / (height - 1);
      const r = top[0] + (bottom[0] - top[0]) * t;
      const g = top[1] + (bottom[1] - top[1]) * t;
      const b = top[2] + (bottom[2] - top[2]) * t;
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
      }
    }
  }

  /** Fills where `distance(x, y) < 0` inside the box [x0, x1) x [y0, y1). */
  fillRegion(x0: number, y0: number, x1: number, y1: number, distance: (x: number, y: number) => number, colour: Colour, options: FillOptions = {}): void {
    const opacity = options.opacity ?? 1;
    if (opacity <= 0) return;
    const softness = Math.max(1e-3, options.softness ?? 1);
    const { data, width } = this;
    const left = Math.max(0, Math.floor(x0));
    const top = Math.max(0, Math.floor(y0));
    const right = Math.min(width, Math.ceil(x1));
    const bottom = Math.min(this.height, Math.ceil(y1));
    const [r, g, b] = colour;
    for (let y = top; y < bottom; y++) {
      for (let x = left; x < right; x++) {
        const coverage = clamp01(0.5 - distance(x + 0.5, y + 0.5) / softness) * opacity;
        if (coverage <= 0) continue;
        const i = (y * width + x) * 3;
        data[i] = data[i]! + (r - data[i]!) * coverage;
        data[i + 1] = data[i + 1]! + (g - data[i + 1]!) * coverage;
        data[i + 2] = data[i + 2]! + (b - data[i + 2]!) * coverage;
      }
    }
  }

  /** A filled ellipse centred at (cx, cy) with radii (rx, ry), rotated by `angle` radians. */
  ellipse(cx: number, cy: number, rx: number, ry: number, angle: number, colour: Colour, options: FillOptions = {}): void {
    const distance = ellipseDistance(cx, cy, rx, ry, angle);
    const reach = Math.max(rx, ry) + 2 + (options.softness ?? 1);
    this.fillRegion(cx - reach, cy - reach, cx + reach, cy + reach, distance, colour, options);
  }

  /** An elliptical ring (outline) of the given line `thickness`. */
  ring(cx: number, cy: number, rx: number, ry: number, angle: number, thickness: number, colour: Colour, options: FillOptions = {}): void {
    const distance = ellipseDistance(cx, cy, rx, ry, angle);
    const reach = Math.max(rx, ry) + thickness + 2;
    this.fillRegion(cx - reach, cy - reach, cx + reach, cy + reach, (x, y) => Math.abs(distance(x, y)) - thickness / 2, colour, options);
  }

  /** A line segment with round caps. */
  capsule(ax: number, ay: number, bx: number, by: number, radius: number, colour: Colour, options: FillOptions = {}): void {
    const dx = bx - ax;
    const dy = by - ay;
    const lengthSquared = Math.max(1e-9, dx * dx + dy * dy);
    const reach = radius + 2;
    this.fillRegion(
      Math.min(ax, bx) - reach,
      Math.min(ay, by) - reach,
      Math.max(ax, bx) + reach,
      Math.max(ay, by) + reach,
      (x, y) => {
        const t = clamp01(((x - ax) * dx + (y - ay) * dy) / lengthSquared);
        return Math.hypot(x - ax - t * dx, y - ay - t * dy) - radius;
      },
      colour,
      options,
    );
  }

  /**
   * A band between two curves in a rotated frame: local x runs over [-halfWidth, halfWidth]
   * (t = x / halfWidth in [-1, 1]), and the band covers `top(t) <= y <= bottom(t)` (local y points down).
   * Lips, brows, moustaches, fringes and necks are bands.
   */
  band(
    cx: number,
    cy: number,
    angle: number,
    halfWidth: number,
    top: (t: number) => number,
    bottom: (t: number) => number,
    colour: Colour,
    options: FillOptions = {},
  ): void {
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    let extent = 0;
    for (let k = -4; k <= 4; k++) extent = Math.max(extent, Math.abs(top(k / 4)), Math.abs(bottom(k / 4)));
    const reach = Math.hypot(halfWidth, extent) + 2 + (options.softness ?? 1);
    this.fillRegion(
      cx - reach,
      cy - reach,
      cx + reach,
      cy + reach,
      (x, y) => {
        const lx = (x - cx) * cos + (y - cy) * sin;
        const ly = -(x - cx) * sin + (y - cy) * cos;
        const t = Math.max(-1, Math.min(1, lx / halfWidth));
        return Math.max(Math.abs(lx) - halfWidth, top(t) - ly, ly - bottom(t));
      },
      colour,
      options,
    );
  }

  /** Rounds to 8-bit RGB. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.data.length);
    for (let i = 0; i < out.length; i++) {
      const value = this.data[i]!;
      // floor(value + 0.5) is Math.round for value > 0, without the call.
      out[i] = value <= 0 ? 0 : value >= 255 ? 255 : (value + 0.5) | 0;
    }
    return out;
  }
}

function ellipseDistance(cx: number, cy: number, rx: number, ry: number, angle: number): (x: number, y: number) => number {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const irx2 = 1 / (rx * rx);
  const iry2 = 1 / (ry * ry);
  return (x, y) => {
    const lx = (x - cx) * cos + (y - cy) * sin;
    const ly = -(x - cx) * sin + (y - cy) * cos;
    const f = lx * lx * irx2 + ly * ly * iry2 - 1;
    // First-order distance: f / |grad f|, exact on the boundary, conservative inside.
    const gradient = 2 * Math.sqrt(lx * lx * irx2 * irx2 + ly * ly * iry2 * iry2);
    return gradient > 1e-9 ? f / gradient : -Math.min(rx, ry);
  };
}
