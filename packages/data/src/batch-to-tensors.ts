import { tf } from '@bigface/backend';
import type { Batch } from './data-pipeline';

/**
 * Turns a pipeline {@link Batch} into tensors on the calling thread: images `[B, H, W, 3]` float32
 * and labels `[B]` int32. The caller disposes them.
 *
 * @example
 * import { batchToTensors } from '@bigface/data';
 * const { images, labels } = batchToTensors(batch);
 * // ... train step ...
 * tf.dispose([images, labels]);
 */
export function batchToTensors(batch: Batch): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  return {
    images: tf.tensor4d(batch.images, [batch.size, batch.height, batch.width, 3], 'float32'),
    labels: tf.tensor1d(batch.labels, 'int32'),
  };
}
