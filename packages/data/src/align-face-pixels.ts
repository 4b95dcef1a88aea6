import type { RawImage } from '@bigface/mask-synth';
import { assertArgument } from '@bigface/backend/errors';
import { ARCFACE_TEMPLATE } from './align-face-image';
import { estimateSimilarity, type SimilarityMatrix } from './estimate-similarity';

/**
 * {@link alignFaceImage} on decoded pixels: the Umeyama similarity from the five landmarks to the ArcFace
 * template, applied like OpenCV's `warpAffine` in insightface's `norm_crop` (pixel indices, bilinear,
 * black outside). Returns the `size` x `size` RGB crop and the matrix (image -> crop).
 *
 * @example
 * import { alignFacePixels } from '@bigface/data';
 * import { decodeImage } from '@bigface/mask-synth';
 * const { image: crop } = alignFacePixels(await decodeImage('photo.jpg'), [[230, 310], [331, 301], [282, 366], [244, 420], [322, 412]]);
 */
export function alignFacePixels(
  image: RawImage,
  landmarks: readonly (readonly [number, number])[],
  options: { size?: number } = {},
): { image: RawImage & { channels: 3 }; matrix: SimilarityMatrix } {
  const size = options.size ?? 112;
  assertArgument(Number.isInteger(size) && size >= 8, 'INVALID_ARGUMENT', () => `alignFacePixels: size must be an integer >= 8, got ${size}`);
  assertArgument(
    landmarks.length === 5,
    'INVALID_LANDMARKS',
    () => `alignFacePixels: need 5 landmarks (eyes, nose tip, mouth corners), got ${landmarks.length}`,
  );
  const template = ARCFACE_TEMPLATE.map(([x, y]) => [(x * size) / 112, (y * size) / 112] as const);
  const matrix = estimateSimilarity(landmarks, template);
  const [[a, b, tx], [c, d, ty]] = matrix;
  // Inverse of the similarity [[a, b], [c, d]] (c = -b, d = a): crop pixel -> image pixel.
  const determinant = a * d - b * c;
  const { data, width, height, channels } = image;
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (d * (x - tx) - b * (y - ty)) / determinant;
      const v = (-c * (x - tx) + a * (y - ty)) / determinant;
      const x0 = Math.floor(u);
      const y0 = Math.floor(v);
      const fx = u - x0;
      const fy = v - y0;
      let r = 0,
        g = 0,
        bl = 0;
      for (let dy = 0; dy < 2; dy++) {
        const py = y0 + dy;
        if (py < 0 || py >= height) continue;
        const wy = dy === 0 ? 1 - fy : fy;
        for (let dx = 0; dx < 2; dx++) {
          const px = x0 + dx;
          if (px < 0 || px >= width) continue;
          const w = wy * (dx === 0 ? 1 - fx : fx);
          const at = (py * width + px) * channels;
          r += w * data[at]!;
          g += w * data[at + 1]!;
          bl += w * data[at + 2]!;
        }
      }
      const at = (y * size + x) * 3;
      out[at] = Math.round(r);
      out[at + 1] = Math.round(g);
      out[at + 2] = Math.round(bl);
    }
  }
  return { image: { data: out, width: size, height: size, channels: 3 }, matrix };
}
