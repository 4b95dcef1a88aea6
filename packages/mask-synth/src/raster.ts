// Pixel helpers shared by both synthesizers: polygon coverage, box blur, luminance, compositing.

const SUBSCANLINES = 4;

/**
 * Adds the anti-aliased coverage of a closed polygon (even-odd rule) to `coverage` (width x height).
 * Four sub-scanlines per pixel row, with exact horizontal coverage of each span's end pixels.
 */
export function accumulatePolygonCoverage(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  width: number,
  height: number,
  coverage: Float32Array,
): void {
  const n = xs.length;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    if (ys[i]! < minY) minY = ys[i]!;
    if (ys[i]! > maxY) maxY = ys[i]!;
  }
  const rowStart = Math.max(0, Math.floor(minY));
  const rowEnd = Math.min(height - 1, Math.ceil(maxY));
  const crossings = new Float64Array(n + 1);
  const weight = 1 / SUBSCANLINES;
  for (let row = rowStart; row <= rowEnd; row++) {
    const base = row * width;
    for (let sub = 0; sub < SUBSCANLINES; sub++) {
      const y = row + (sub + 0.5) * weight;
      let count = 0;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const y0 = ys[j]!;
        const y1 = ys[i]!;
        if ((y0 <= y && y < y1) || (y1 <= y && y < y0)) {
          const x0 = xs[j]!;
          crossings[count++] = x0 + ((y - y0) / (y1 - y0)) * (xs[i]! - x0);
        }
      }
      if (count < 2) continue;
      const sorted = crossings.subarray(0, count).sort();
      for (let k = 0; k + 1 < count; k += 2) {
        const left = Math.max(0, sorted[k]!);
        const right = Math.min(width, sorted[k + 1]!);
        if (right <= left) continue;
        const first = Math.floor(left);
        const last = Math.min(width - 1, Math.floor(right));
        if (first === last) {
          coverage[base + first]! += (right - left) * weight;
          continue;
        }
        coverage[base + first]! += (first + 1 - left) * weight;
        for (let x = first + 1; x < last; x++) coverage[base + x]! += weight;
        if (last < width) coverage[base + last]! += (right - last) * weight;
      }
    }
  }
}

/** In-place separable box blur of a single-channel float image, radius `radius` (clamped edges). */
export function boxBlur(values: Float32Array, width: number, height: number, radius: number): Float32Array {
  if (radius < 1) return values;
  const line = new Float32Array(Math.max(width, height));
  const size = 2 * radius + 1;
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let x = 0; x < width; x++) line[x] = values[base + x]!;
    let sum = 0;
    for (let k = -radius; k <= radius; k++) sum += line[Math.min(width - 1, Math.max(0, k))]!;
    for (let x = 0; x < width; x++) {
      values[base + x] = sum / size;
      sum += line[Math.min(width - 1, x + radius + 1)]! - line[Math.max(0, x - radius)]!;
    }
  }
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) line[y] = values[y * width + x]!;
    let sum = 0;
    for (let k = -radius; k <= radius; k++) sum += line[Math.min(height - 1, Math.max(0, k))]!;
    for (let y = 0; y < height; y++) {
      values[y * width + x] = sum / size;
      sum += line[Math.min(height - 1, y + radius + 1)]! - line[Math.max(0, y - radius)]!;
    }
  }
  return values;
}

/** Rec. 601 luma of every pixel. */
export function luminance(data: Uint8Array, width: number, height: number, channels: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += channels) {
    out[i] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  }
  return out;
}

/** Bounding box (inclusive) of the pixels where `alpha` > 0, or null when empty. */
export function alphaBounds(alpha: Float32Array, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let x = 0; x < width; x++) {
      if (alpha[base + x]! > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1, y1 };
}

/**
 * Mean of `values` weighted by `coverage` inside `bounds` (at least 1): the brightness of the face
 * under the mask, which both synthesizers match the mask's shading to.
 */
export function coverageWeightedMean(
  values: Float32Array,
  coverage: Float32Array,
  bounds: { x0: number; y0: number; x1: number; y1: number },
  width: number,
): number {
  let sum = 0;
  let weight = 0;
  for (let y = bounds.y0; y <= bounds.y1; y++) {
    for (let x = bounds.x0; x <= bounds.x1; x++) {
      const c = coverage[y * width + x]!;
      sum += c * values[y * width + x]!;
      weight += c;
    }
  }
  return Math.max(1, sum / Math.max(weight, 1e-6));
}
