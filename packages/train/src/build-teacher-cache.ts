import path from 'node:path';
import { initBackend, tf } from '@bigface/backend';
import { DataPipeline } from '@bigface/data';
import { TeacherEmbeddingCache, type TeacherCacheBatch } from '@bigface/distill';
import { resolveTrainConfig, type TrainConfigInput } from './config';
import { loadTrainedBackbone } from './load-trained-backbone';
import { prepareDataset } from './prepare-dataset';
import { SubsetSampler } from './subset-sampler';

/** Options of {@link buildTeacherCache}. */
export interface BuildTeacherCacheOptions {
  /** The student's training configuration (its data, imageSize, held-out identities and seed decide the images). */
  config: TrainConfigInput;
  /** The teacher: a run directory, a checkpoint directory or a backbone file. */
  teacher: string;
  /** Where to write the cache (safetensors). */
  path: string;
  /** Recorded in the cache (default: the teacher location's base name). */
  teacherName?: string;
  /** Images per teacher forward pass (default 64). */
  batchSize?: number;
}

/**
 * Runs a trained teacher once over the training images of `config` (unaugmented: no flip, no mask,
 * at `data.imageSize`) and writes a `TeacherEmbeddingCache` keyed by dataset index — what
 * `distill: { teacher: { cache } }` reads instead of running the teacher every step.
 *
 * @example
 * import { buildTeacherCache, train } from '@bigface/train';
 * await buildTeacherCache({ config: student, teacher: 'runs/teacher', path: 'runs/teacher/cache.safetensors' });
 * await train({ ...student, distill: { teacher: { cache: 'runs/teacher/cache.safetensors' } } });
 */
export async function buildTeacherCache(options: BuildTeacherCacheOptions): Promise<string> {
  const config = resolveTrainConfig(options.config);
  await initBackend({ backend: config.backend });
  const prepared = await prepareDataset(config);
  const size = config.data.imageSize;
  const batchSize = options.batchSize ?? 64;
  const sampler = new SubsetSampler(prepared.trainIndices, { batchSize, seed: 0, shuffle: false, keepPartialBatch: true });
  const pipeline = new DataPipeline({
    source: prepared.source,
    sampler,
    seed: 0,
    workers: config.data.workers,
    flip: false,
    mask: false,
    imageSize: [size, size],
  });
  const model = loadTrainedBackbone(options.teacher);
  const input = model.config.inputHeight;
  async function* batches(): AsyncGenerator<TeacherCacheBatch> {
    for await (const batch of pipeline.batches({ epoch: 0, step: 0 }, 1)) {
      yield { ids: batch.indices, images: tf.tensor4d(batch.images, [batch.size, batch.height, batch.width, 3]) };
    }
  }
  try {
    const cache = await TeacherEmbeddingCache.build({
      teacher: (images) => tf.tidy(() => model.forward(input === size ? images : tf.image.resizeBilinear(images, [input, input]))),
      dataset: batches(),
      path: path.resolve(options.path),
      teacherName: options.teacherName ?? path.basename(path.resolve(options.teacher)),
    });
    cache.close();
    return path.resolve(options.path);
  } finally {
    model.dispose();
    await pipeline.close();
  }
}
