import { assertArgument, BigFaceError } from '@bigface/backend/errors';
import sharp, { type OutputInfo } from 'sharp';
import { estimateSimilarity, type SimilarityMatrix } from './estimate-similarity';

/**
 * The ArcFace five-point template of insightface's 112x112 crops: left eye, right eye, nose tip,
 * left and right mouth corner (image left), `[x, y]` pixels.
 */
export const ARCFACE_TEMPLATE: readonly (readonly [number, number])[] = Object.freeze([
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
] as const);

/** Options of {@link alignFaceImage}. */
export interface AlignFaceImageOptions {
  /** Output side in pixels (default 112); the template scales with it, as insightface's `norm_crop`. */
  size?: number;
  /** Output format (default 'jpeg', quality 95); 'raw' returns RGB bytes. */
  format?: 'jpeg' | 'png' | 'raw';
}

/**
 * Aligns a face for recognition: the Umeyama similarity from the detector's five landmarks to the
 * ArcFace template ({@link estimateSimilarity}), applied to the photo with sharp's affine warp
 * (bilinear, black outside the photo), cropped to `size` x `size` — insightface's `norm_crop`.
 * The photo is first turned by its EXIF orientation, so landmarks are in displayed coordinates.
 *
 * @example
 * import { alignFaceImage } from '@bigface/data';
 * const { data } = await alignFaceImage('photo.jpg', [[230, 310], [331, 301], [282, 366], [244, 420], [322, 412]]);
 * // data: a 112x112 JPEG
 */
export async function alignFaceImage(
  input: string | Uint8Array,
  landmarks: readonly (readonly [number, number])[],
  options: AlignFaceImageOptions = {},
): Promise<{ data: Buffer; matrix: SimilarityMatrix; width: number; height: number }> {
  const size = options.size ?? 112;
  assertArgument(Number.isInteger(size) && size >= 8, 'INVALID_ARGUMENT', () => `alignFaceImage: size must be an integer >= 8, got ${size}`);
  assertArgument(
    landmarks.length === 5,
    'INVALID_LANDMARKS',
    () => `alignFaceImage: need 5 landmarks (eyes, nose tip, mouth corners), got ${landmarks.length}`,
  );
  const template = ARCFACE_TEMPLATE.map(([x, y]) => [(x * size) / 112, (y * size) / 112] as const);
  const matrix = estimateSimilarity(landmarks, template);
  const [[a, b, tx], [c, d, ty]] = matrix;
  const name = typeof input === 'string' ? `'${input}'` : 'image bytes';
  let warped: { data: Buffer; info: OutputInfo };
  let width: number, height: number;
  try {
    // Landmarks are in the photo as displayed: apply the EXIF orientation first (phone photos).
    const source = sharp(input).autoOrient().removeAlpha().toColourspace('srgb');
    const metadata = await sharp(input).metadata();
    width = metadata.autoOrient?.width ?? metadata.width ?? 0;
    height = metadata.autoOrient?.height ?? metadata.height ?? 0;
    warped = await source
      .affine(
        [
          [a, b],
          [c, d],
        ],
        { odx: tx, ody: ty, interpolator: 'bilinear', background: { r: 0, g: 0, b: 0 } },
      )
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw new BigFaceError('IMAGE_DECODE_FAILED', `alignFaceImage: cannot read ${name} as an image: ${(cause as Error).message}`, { cause });
  }
  // libvips sizes the output to the bounding box of the linearly transformed image and puts its
  // origin at the min corner rounded to the nearest pixel (measured: -47.28 -> -47, -49.65 -> -50);
  // the translation (odx, ody) is applied within that frame. The test checks this against an
  // independent warp, so a libvips change of convention shows up there.
  const corners = [
    [0, 0],
    [width, 0],
    [0, height],
    [width, height],
  ].map(([x, y]) => [a * x! + b * y!, c * x! + d * y!] as const);
  const originX = Math.round(Math.min(...corners.map((p) => p[0])));
  const originY = Math.round(Math.min(...corners.map((p) => p[1])));
  const out = Buffer.alloc(size * size * 3);
  const { data, info } = warped;
  for (let y = 0; y < size; y++) {
    const sourceY = y - originY;
    if (sourceY < 0 || sourceY >= info.height) continue;
    for (let x = 0; x < size; x++) {
      const sourceX = x - originX;
      if (sourceX < 0 || sourceX >= info.width) continue;
      const from = (sourceY * info.width + sourceX) * info.channels;
      out[(y * size + x) * 3] = data[from]!;
      out[(y * size + x) * 3 + 1] = data[from + 1]!;
      out[(y * size + x) * 3 + 2] = data[from + 2]!;
    }
  }
  const format = options.format ?? 'jpeg';
  if (format === 'raw') return { data: out, matrix, width: size, height: size };
  const encoder = sharp(out, { raw: { width: size, height: size, channels: 3 } });
  return { data: await (format === 'png' ? encoder.png() : encoder.jpeg({ quality: 95 })).toBuffer(), matrix, width: size, height: size };
}
