import sharp from 'sharp';
import type { RawImage } from './raw-image';

/** Output formats of the file/buffer API. */
export type OutputFormat = 'jpeg' | 'png' | 'webp';

/**
 * Encodes raw pixels to JPEG (default, quality 92), PNG or WebP.
 *
 * @example
 * import { encodeImage } from '@bigface/mask-synth';
 * const jpeg = await encodeImage(result.image, 'jpeg', 95);
 */
export async function encodeImage(image: RawImage, format: OutputFormat = 'jpeg', quality = 92): Promise<Buffer> {
  const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  if (format === 'png') return pipeline.png().toBuffer();
  if (format === 'webp') return pipeline.webp({ quality }).toBuffer();
  return pipeline.jpeg({ quality }).toBuffer();
}
