import { ARCFACE_TEMPLATE_112 } from './arcface-template';
import { fivePointsOf68, resolveFaceGeometry, type Landmarks } from './face-geometry';
import { applySimilarity } from './geometry';
import { assertRawImage, type RawImage } from './raw-image';

/**
 * Cuts the ArcFace-aligned 112x112 crop out of an image (the similarity that best maps the face's five
 * key points onto {@link ARCFACE_TEMPLATE_112}, bilinear sampling, black outside the image) and returns
 * it with the landmarks moved into the crop.
 *
 * @example
 * import { alignFace } from '@bigface/mask-synth';
 * const { image: crop } = alignFace(photo, landmarks68); // crop.width === 112
 */
export function alignFace(image: RawImage, landmarks: Landmarks, inputName = 'image'): { image: RawImage; landmarks: [number, number][] } {
  assertRawImage(image, inputName);
  const face = resolveFaceGeometry(landmarks, image.width, image.height, inputName);
  const { width, height, channels, data } = image;
  const size = 112;
  const out = new Uint8Array(size * size * channels);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [sx, sy] = applySimilarity(face.toImage, [x + 0.5, y + 0.5]);
      const fx = sx - 0.5;
      const fy = sy - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const tx = fx - x0;
      const ty = fy - y0;
      for (let c = 0; c < channels; c++) {
        let value = 0;
        for (const [dx, dy, w] of [
          [0, 0, (1 - tx) * (1 - ty)],
          [1, 0, tx * (1 - ty)],
          [0, 1, (1 - tx) * ty],
          [1, 1, tx * ty],
        ] as const) {
          const px = x0 + dx;
          const py = y0 + dy;
          if (px >= 0 && py >= 0 && px < width && py < height) value += w * data[(py * width + px) * channels + c]!;
        }
        out[(y * size + x) * channels + c] = Math.round(value);
      }
    }
  }
  const given = face.points.length === 68 ? face.canonicalPoints : fivePointsOf68(face.canonicalPoints);
  return { image: { data: out, width: size, height: size, channels }, landmarks: given.map(([x, y]) => [x, y]) };
}
