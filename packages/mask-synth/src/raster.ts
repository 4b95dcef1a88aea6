// Pixel helpers shared by both synthesizers: polygon coverage and box blurs.

const SUBSCANLINES = 4;

/**
 * Adds the anti-aliased coverage of a closed polygon (even-odd rule) to `coverage` (width x height).
 * Four sub-scanlines per pixel row, with exact horizontal coverage of each span's end pixels.
 */
export function accumulatePolygonCoverage(xs: ArrayLike<number>, ys: ArrayLike<number>, width: number, height: number, coverage: Float32Array): void {
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
  // The edges that reach into the current pixel row (end points j → i, as the even-odd test walks them).
  const rowEdges = new Int32Array(n);
  const weight = 1 / SUBSCANLINES;
  for (let row = rowStart; row <= rowEnd; row++) {
    const base = row * width;
    const rowTop = row + 0.5 * weight;
    const rowBottom = row + (SUBSCANLINES - 0.5) * weight;
    let edgeCount = 0;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const low = Math.min(ys[i]!, ys[j]!);
      const high = Math.max(ys[i]!, ys[j]!);
      if (high > rowTop && low <= rowBottom) rowEdges[edgeCount++] = i;
    }
    if (edgeCount < 2) continue;
    for (let sub = 0; sub < SUBSCANLINES; sub++) {
      const y = row + (sub + 0.5) * weight;
      let count = 0;
      for (let e = 0; e < edgeCount; e++) {
        const i = rowEdges[e]!;
        const j = i === 0 ? n - 1 : i - 1;
        const y0 = ys[j]!;
        const y1 = ys[i]!;
        if ((y0 <= y && y < y1) || (y1 <= y && y < y0)) {
          const x0 = xs[j]!;
          const crossing = x0 + ((y - y0) / (y1 - y0)) * (xs[i]! - x0);
          // Insertion sort: a handful of crossings per line.
          let k = count++;
          while (k > 0 && crossings[k - 1]! > crossing) {
            crossings[k] = crossings[k - 1]!;
            k--;
          }
          crossings[k] = crossing;
        }
      }
      if (count < 2) continue;
      for (let k = 0; k + 1 < count; k += 2) {
        const left = Math.max(0, crossings[k]!);
        const right = Math.min(width, crossings[k + 1]!);
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

/**
 * {@link boxBlur} of the window [x0, x1] x [y0, y1] of `values` (width x height), in place, clamped at
 * the window's edges. Equal to blurring the whole image inside the window wherever the window reaches
 * `radius` beyond the pixels read (or the image's own edge): the synthesizers blur only around a mask.
 */
export function boxBlurWindow(values: Float32Array, width: number, window: { x0: number; y0: number; x1: number; y1: number }, radius: number): void {
  const windowWidth = window.x1 - window.x0 + 1;
  const windowHeight = window.y1 - window.y0 + 1;
  const part = new Float32Array(windowWidth * windowHeight);
  for (let y = 0; y < windowHeight; y++)
    part.set(values.subarray((window.y0 + y) * width + window.x0, (window.y0 + y) * width + window.x1 + 1), y * windowWidth);
  boxBlur(part, windowWidth, windowHeight, radius);
  for (let y = 0; y < windowHeight; y++) values.set(part.subarray(y * windowWidth, (y + 1) * windowWidth), (window.y0 + y) * width + window.x0);
}

/** Pixel box (inclusive) of polygons grown by `margin` pixels and clipped to the image, or null when outside. */
export function polygonsBounds(
  shapes: readonly { xs: ArrayLike<number>; ys: ArrayLike<number> }[],
  width: number,
  height: number,
  margin = 0,
): { x0: number; y0: number; x1: number; y1: number } | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const { xs, ys } of shapes) {
    for (let i = 0; i < xs.length; i++) {
      minX = Math.min(minX, xs[i]!);
      maxX = Math.max(maxX, xs[i]!);
      minY = Math.min(minY, ys[i]!);
      maxY = Math.max(maxY, ys[i]!);
    }
  }
  const x0 = Math.max(0, Math.floor(minX) - margin);
  const y0 = Math.max(0, Math.floor(minY) - margin);
  const x1 = Math.min(width - 1, Math.ceil(maxX) + margin);
  const y1 = Math.min(height - 1, Math.ceil(maxY) + margin);
  return x0 > x1 || y0 > y1 ? null : { x0, y0, x1, y1 };
}
