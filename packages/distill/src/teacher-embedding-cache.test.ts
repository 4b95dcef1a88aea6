import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, isBigFaceError, readSafetensors, tf, writeSafetensors } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { TeacherEmbeddingCache, type TeacherCacheBatch } from './teacher-embedding-cache';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const directory = mkdtempSync(join(tmpdir(), 'bigface-teacher-cache-'));
// Image k (id 100 + k) is a 1×1×2 image with pixels (k, 1); the teacher maps it to (2k, 1 + k, 1 − k).
const teacher = (images: tf.Tensor4D): tf.Tensor2D =>
  tf.tidy(() => {
    const flat = tf.reshape(images, [images.shape[0], 2]);
    const [a, b] = tf.split(flat, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return tf.concat([tf.mul(a, 2), tf.add(a, b), tf.sub(b, a)], 1) as tf.Tensor2D;
  });
function* dataset(count: number, batchSize: number): Generator<TeacherCacheBatch> {
  for (let start = 0; start < count; start += batchSize) {
    const ks = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
    yield { ids: ks.map((k) => 100 + k), images: tf.tensor4d(ks.flatMap((k) => [k, 1]), [ks.length, 1, 1, 2]) };
  }
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    return isBigFaceError(error) ? `${error.code}: ${error.message}` : String(error);
  }
  return undefined;
}

describe('TeacherEmbeddingCache', () => {
  it('runs the teacher once over the dataset, stores by id with metadata, and looks up by id', async () => {
    const before = tf.memory().numTensors;
    const path = join(directory, 'ok.safetensors');
    let calls = 0;
    const built = await TeacherEmbeddingCache.build({ teacher: (x) => ((calls += 1), teacher(x)), dataset: dataset(5, 2), path, teacherName: 'tiny' });
    expect(calls).toBe(3); // batches of 2, 2, 1
    expect(tf.memory().numTensors).toBe(before);
    const file = readSafetensors(readFileSync(path), path);
    expect(file.metadata).toMatchObject({ count: '5', embeddingSize: '3', teacherName: 'tiny' });
    expect(built.count).toBe(5);

    const cache = TeacherEmbeddingCache.load(path, { expectedCount: 5, expectedEmbeddingSize: 3, ids: [104, 103, 102, 101, 100], teacherName: 'tiny' });
    expect(Array.from(cache.get(103))).toEqual([6, 4, -2]); // k = 3: (6, 4, −2)
    const lookup = cache.lookup([104, 100]);
    expect(lookup.arraySync()).toEqual([[8, 5, -3], [0, 1, 1]]);
    lookup.dispose();
    expect([...cache.batches(4)].map((batch) => Array.from(batch.ids))).toEqual([[100, 101, 102, 103], [104]]);
    expect(code(() => cache.get(7))).toMatch(/^TEACHER_CACHE_MISSING_ID: .*no embedding for sample id 7/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a stale cache: other size, embedding size, ids or teacher', async () => {
    const path = join(directory, 'stale.safetensors');
    await TeacherEmbeddingCache.build({ teacher, dataset: dataset(4, 4), path, teacherName: 'tiny' });
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 5, expectedEmbeddingSize: 3 }))).toMatch(/^TEACHER_CACHE_STALE: .*holds 4 embeddings but the dataset has 5 samples.*rebuild it/);
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 4, expectedEmbeddingSize: 512 }))).toMatch(/^TEACHER_CACHE_STALE: .*holds 3-d embeddings but 512-d are expected/);
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 4, expectedEmbeddingSize: 3, ids: [100, 101, 102, 999] }))).toMatch(/^TEACHER_CACHE_STALE: .*different sample ids/);
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 4, expectedEmbeddingSize: 3, teacherName: 'r600' }))).toMatch(/^TEACHER_CACHE_STALE: .*teacher 'tiny', not 'r600'/);
    expect(code(() => TeacherEmbeddingCache.load(join(directory, 'absent.safetensors'), { expectedCount: 4, expectedEmbeddingSize: 3 }))).toMatch(/^FILE_NOT_READABLE/);
  });

  it('refuses a file that is not a cache, and duplicate ids while building', async () => {
    const path = join(directory, 'other.safetensors');
    writeFileSync(path, writeSafetensors({ weight: { shape: [1], data: new Float32Array(1) } }));
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 1, expectedEmbeddingSize: 1 }))).toMatch(/^TEACHER_CACHE_BAD_FORMAT: .*not a BigFace teacher cache/);
    const duplicate = [{ ids: [1, 1], images: tf.zeros([2, 1, 1, 2]) as tf.Tensor4D }];
    await expect(TeacherEmbeddingCache.build({ teacher, dataset: duplicate, path: join(directory, 'dup.safetensors'), teacherName: 't' })).rejects.toThrow(/sample id 1 appears twice/);
  });
});
