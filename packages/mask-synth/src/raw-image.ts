import { BigFaceError } from '@bigface/backend/errors';

/**
 * Decoded pixels, row-major and interleaved: `data[(y * width + x) * channels + c]`, 8 bits a channel.
 * Three channels are RGB, four RGBA (alpha is kept as it is).
 */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** Throws INVALID_IMAGE naming `inputName` when `image` is not a usable {@link RawImage}. */
export function assertRawImage(image: RawImage, inputName: string): void {
  const fail = (problem: string) => {
    throw new BigFaceError('INVALID_IMAGE', `${inputName}: ${problem}`);
  };
  if (image === null || typeof image !== 'object') fail('expected {data, width, height, channels}');
  const { data, width, height, channels } = image;
  if (!(data instanceof Uint8Array)) fail('data must be a Uint8Array (or Buffer) of 8-bit pixels');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    fail(`width and height must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4) fail(`channels must be 3 (RGB) or 4 (RGBA), got ${channels}`);
  if (data.length !== width * height * channels) {
    fail(`data has ${data.length} bytes but ${width}x${height}x${channels} needs ${width * height * channels}`);
  }
}
