import { eyeGuardBoxes } from './face-anchors';
import type { FaceGeometry } from './face-geometry';
import { boxBlur } from './raster';

/** An inclusive pixel box. */
type PixelBox = { x0: number; y0: number; x1: number; y1: number };

/**
 * Never over the eyes, whatever the pose or the landmarks: scales the coverage inside `box` by the
 * eye guard (cut under the lower eyelids), clamping it to 1. Shared by both synthesizers.
 */
export function cutCoverageBelowEyes(coverage: Float32Array, width: number, box: PixelBox, face: FaceGeometry): void {
  // The guard's factor, written out for the two eyes (this runs for every covered pixel).
  const [left, right] = eyeGuardBoxes(face.canonicalPoints);
  const { a, b, tx, ty } = face.toCanonical;
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0; x <= box.x1; x++) {
      const index = y * width + x;
      const c = coverage[index]!;
      if (c <= 0) continue;
      const px = x + 0.5;
      const py = y + 0.5;
      const cx = a * px - b * py + tx;
      const cy = b * px + a * py + ty;
      let factor = 1;
      if (cx >= left.minX && cx <= left.maxX) factor = Math.min(factor, Math.max(0, Math.min(1, cy - left.guardY + 0.5)));
      if (cx >= right.minX && cx <= right.maxX) factor = Math.min(factor, Math.max(0, Math.min(1, cy - right.guardY + 0.5)));
      coverage[index] = Math.min(1, c) * factor;
    }
  }
}

/**
 * The face's luminance where the mask goes: luma (BT.601) in a window `radius` pixels around `box`,
 * box-blurred by `radius` (the same values as blurring the whole image there), and the
 * coverage-weighted mean luma under the mask (at least 1). Index it as
 * `luma[(y - wy0) * windowWidth + (x - wx0)]`.
 */
export function measureFaceLuma(
  data: Uint8Array,
  width: number,
  height: number,
  channels: number,
  coverage: Float32Array,
  box: PixelBox,
  radius: number,
): { luma: Float32Array; wx0: number; wy0: number; windowWidth: number; faceLuma: number } {
  const wx0 = Math.max(0, box.x0 - radius);
  const wy0 = Math.max(0, box.y0 - radius);
  const wx1 = Math.min(width - 1, box.x1 + radius);
  const wy1 = Math.min(height - 1, box.y1 + radius);
  const windowWidth = wx1 - wx0 + 1;
  const windowHeight = wy1 - wy0 + 1;
  const luma = new Float32Array(windowWidth * windowHeight);
  let lumaSum = 0;
  let coverageSum = 0;
  for (let y = wy0; y <= wy1; y++) {
    for (let x = wx0; x <= wx1; x++) {
      const p = (y * width + x) * channels;
      const value = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
      luma[(y - wy0) * windowWidth + (x - wx0)] = value;
      const c = coverage[y * width + x]!;
      lumaSum += c * value;
      coverageSum += c;
    }
  }
  const faceLuma = Math.max(1, lumaSum / Math.max(coverageSum, 1e-6));
  boxBlur(luma, windowWidth, windowHeight, radius);
  return { luma, wx0, wy0, windowWidth, faceLuma };
}
