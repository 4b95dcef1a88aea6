import { assertArgument, tf } from '@bigface/backend';
import type { RawImage } from '@bigface/mask-synth';

/**
 * Decoded RGB(A) images as the network input of the BigFace / insightface recipe: NHWC float32
 * `(x/255 − 0.5)/0.5` ∈ [−1, 1], alpha dropped. All images must share one size.
 *
 * @example
 * const images = rawImagesToTensor(faces); // [N, 112, 112, 3]
 */
export function rawImagesToTensor(images: readonly RawImage[]): tf.Tensor4D {
  assertArgument(images.length > 0, 'EVAL_BAD_IMAGES', () => 'rawImagesToTensor: no images');
  const { width, height } = images[0]!;
  const pixels = width * height;
  const values = new Float32Array(images.length * pixels * 3);
  images.forEach((image, index) => {
    assertArgument(
      image.width === width && image.height === height,
      'EVAL_BAD_IMAGES',
      () => `rawImagesToTensor: image ${index} is ${image.width}×${image.height} but image 0 is ${width}×${height}; resize them to one size (e.g. 112×112)`,
    );
    assertArgument(
      image.data.length === pixels * image.channels,
      'EVAL_BAD_IMAGES',
      () => `rawImagesToTensor: image ${index} has ${image.data.length} bytes, expected ${pixels}×${image.channels}`,
    );
    const offset = index * pixels * 3;
    for (let pixel = 0; pixel < pixels; pixel += 1) {
      for (let channel = 0; channel < 3; channel += 1) {
        values[offset + pixel * 3 + channel] = (image.data[pixel * image.channels + channel]! / 255 - 0.5) / 0.5;
      }
    }
  });
  return tf.tensor4d(values, [images.length, height, width, 3]);
}
