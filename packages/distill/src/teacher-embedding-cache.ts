import { BigFaceError, assertArgument, loadSafetensors, saveSafetensors, tf } from '@bigface/backend';
import { idsFingerprint } from './ids-fingerprint';

/** One batch of a dataset for {@link TeacherEmbeddingCache.build}. */
export interface TeacherCacheBatch {
  /** Sample ids (non-negative safe integers, e.g. RecordIO keys or dataset indices), one per image. */
  ids: ArrayLike<number>;
  /** Images NHWC, as the teacher expects them. */
  images: tf.Tensor4D;
}

/** Options of {@link TeacherEmbeddingCache.build}. */
export interface BuildTeacherEmbeddingCacheOptions {
  /** The frozen teacher: images [B, H, W, C] → embeddings [B, D]. */
  teacher: (images: tf.Tensor4D) => tf.Tensor2D;
  /** The dataset, once, in batches. */
  dataset: Iterable<TeacherCacheBatch> | AsyncIterable<TeacherCacheBatch>;
  /** Where to write the safetensors file (atomically). */
  path: string;
  /** Recorded in the metadata and checked on load when asked. */
  teacherName: string;
  /** Dispose each batch's images once the teacher has run; default true (the cache consumes the stream). */
  disposeImages?: boolean;
}

/** Options of {@link TeacherEmbeddingCache.load}: what the cache must agree with to be used. */
export interface LoadTeacherEmbeddingCacheOptions {
  /** Number of samples of the dataset the cache is for. */
  expectedCount: number;
  /** Teacher embedding size. */
  expectedEmbeddingSize: number;
  /** The dataset's ids (any order): checked against the stored fingerprint. */
  ids?: ArrayLike<number>;
  /** The teacher's name, checked against the stored one. */
  teacherName?: string;
}

const FORMAT = 'bigface-teacher-embeddings/1';

/**
 * Teacher embeddings computed once over a dataset and stored in safetensors (`embeddings` F32
 * [N, D], `ids` F64 [N]; metadata: format, count, embeddingSize, idsFingerprint, teacherName),
 * so that distillation steps read the teacher's output instead of running a ResNet600. Lookup is
 * by sample id. A cache that does not match the dataset (count, embedding size, ids, teacher) is
 * refused with `TEACHER_CACHE_STALE` rather than silently distilling towards the wrong targets.
 * The whole cache is held in memory (N·D·4 bytes).
 *
 * @example
 * await TeacherEmbeddingCache.build({ teacher, dataset: batches(), path: 'teacher.safetensors', teacherName: 'r600' });
 * const cache = TeacherEmbeddingCache.load('teacher.safetensors', { expectedCount: 5000, expectedEmbeddingSize: 512 });
 * const targets = cache.lookup(batchIds); // [B, 512] tensor
 */
export class TeacherEmbeddingCache {
  readonly count: number;
  readonly embeddingSize: number;
  readonly teacherName: string;
  readonly fingerprint: string;
  private readonly embeddings: Float32Array;
  private readonly rowOf: Map<number, number>;
  private readonly ids: Float64Array;

  private constructor(embeddings: Float32Array, ids: Float64Array, embeddingSize: number, teacherName: string, fingerprint: string) {
    this.embeddings = embeddings;
    this.ids = ids;
    this.count = ids.length;
    this.embeddingSize = embeddingSize;
    this.teacherName = teacherName;
    this.fingerprint = fingerprint;
    this.rowOf = new Map();
    ids.forEach((id, row) => this.rowOf.set(id, row));
  }

  /** Runs `teacher` once over `dataset` (in tidy, batch by batch), writes the cache to `path` and returns it. */
  static async build(options: BuildTeacherEmbeddingCacheOptions): Promise<TeacherEmbeddingCache> {
    const { teacher, dataset, path, teacherName, disposeImages = true } = options;
    const chunks: Float32Array[] = [];
    const ids: number[] = [];
    const seen = new Set<number>();
    let embeddingSize = -1;
    for await (const batch of dataset) {
      const batchSize = batch.images.shape[0];
      assertArgument(batch.ids.length === batchSize, 'TEACHER_CACHE_BAD_BATCH', () => `TeacherEmbeddingCache.build: a batch has ${batch.ids.length} ids for ${batchSize} images`);
      const values = tf.tidy(() => {
        const output = teacher(batch.images);
        assertArgument(output.rank === 2 && output.shape[0] === batchSize, 'TEACHER_CACHE_BAD_BATCH', () => `TeacherEmbeddingCache.build: the teacher returned shape [${output.shape.join(', ')}] for ${batchSize} images; expected [${batchSize}, D]`);
        if (embeddingSize === -1) embeddingSize = output.shape[1];
        assertArgument(output.shape[1] === embeddingSize, 'TEACHER_CACHE_BAD_BATCH', () => `TeacherEmbeddingCache.build: the teacher returned ${output.shape[1]}-d embeddings after ${embeddingSize}-d ones`);
        return Float32Array.from(output.dataSync());
      });
      if (disposeImages) batch.images.dispose();
      for (let index = 0; index < batchSize; index += 1) {
        const id = batch.ids[index]!;
        assertArgument(Number.isSafeInteger(id) && id >= 0, 'TEACHER_CACHE_BAD_ID', () => `TeacherEmbeddingCache.build: sample ids must be non-negative safe integers, got ${id}`);
        assertArgument(!seen.has(id), 'TEACHER_CACHE_BAD_ID', () => `TeacherEmbeddingCache.build: sample id ${id} appears twice in the dataset`);
        seen.add(id);
        ids.push(id);
      }
      chunks.push(values);
    }
    assertArgument(ids.length > 0, 'TEACHER_CACHE_BAD_BATCH', () => 'TeacherEmbeddingCache.build: the dataset yielded no samples');
    const embeddings = new Float32Array(ids.length * embeddingSize);
    let offset = 0;
    for (const chunk of chunks) {
      embeddings.set(chunk, offset);
      offset += chunk.length;
    }
    const idArray = Float64Array.from(ids);
    const fingerprint = idsFingerprint(idArray);
    saveSafetensors(
      path,
      { embeddings: { dtype: 'F32', shape: [ids.length, embeddingSize], data: embeddings }, ids: { dtype: 'F64', shape: [ids.length], data: idArray } },
      { format: FORMAT, count: String(ids.length), embeddingSize: String(embeddingSize), idsFingerprint: fingerprint, teacherName },
    );
    return new TeacherEmbeddingCache(embeddings, idArray, embeddingSize, teacherName, fingerprint);
  }

  /** Reads a cache written by {@link TeacherEmbeddingCache.build}, refusing one that does not match `options`. */
  static load(path: string, options: LoadTeacherEmbeddingCacheOptions): TeacherEmbeddingCache {
    const file = loadSafetensors(path);
    const metadata = file.metadata ?? {};
    const stale = (what: string): never => {
      throw new BigFaceError('TEACHER_CACHE_STALE', `teacher cache '${path}' ${what}: it was built for another dataset or teacher; rebuild it with TeacherEmbeddingCache.build`);
    };
    if (metadata.format !== FORMAT) {
      throw new BigFaceError('TEACHER_CACHE_BAD_FORMAT', `teacher cache '${path}' is not a BigFace teacher cache (format '${metadata.format ?? 'missing'}', expected '${FORMAT}')`);
    }
    const count = Number(metadata.count);
    const embeddingSize = Number(metadata.embeddingSize);
    const embeddings = file.tensors.get('embeddings');
    const ids = file.tensors.get('ids');
    if (embeddings?.dtype !== 'F32' || ids?.dtype !== 'F64' || embeddings.shape[0] !== count || embeddings.shape[1] !== embeddingSize || ids.shape[0] !== count) {
      throw new BigFaceError('TEACHER_CACHE_BAD_FORMAT', `teacher cache '${path}' is corrupt: its tensors do not match its metadata (count ${count}, embedding size ${embeddingSize})`);
    }
    if (count !== options.expectedCount) stale(`holds ${count} embeddings but the dataset has ${options.expectedCount} samples`);
    if (embeddingSize !== options.expectedEmbeddingSize) stale(`holds ${embeddingSize}-d embeddings but ${options.expectedEmbeddingSize}-d are expected`);
    if (options.teacherName !== undefined && metadata.teacherName !== options.teacherName) stale(`was built with teacher '${metadata.teacherName}', not '${options.teacherName}'`);
    const idArray = ids.data as Float64Array;
    const fingerprint = idsFingerprint(idArray);
    if (fingerprint !== metadata.idsFingerprint) {
      throw new BigFaceError('TEACHER_CACHE_BAD_FORMAT', `teacher cache '${path}' is corrupt: its ids do not match the stored fingerprint`);
    }
    if (options.ids !== undefined && idsFingerprint(options.ids) !== fingerprint) stale('holds different sample ids than the dataset (ids fingerprint differs)');
    return new TeacherEmbeddingCache(embeddings.data as Float32Array, idArray, embeddingSize, metadata.teacherName ?? '', fingerprint);
  }

  /** Whether the cache holds sample `id`. */
  has(id: number): boolean {
    return this.rowOf.has(id);
  }

  /** The teacher embedding of sample `id` (a view into the cache: do not modify). */
  get(id: number): Float32Array {
    const row = this.rowOf.get(id);
    if (row === undefined) throw new BigFaceError('TEACHER_CACHE_MISSING_ID', `teacher cache: no embedding for sample id ${id}; the cache holds ${this.count} samples of another dataset or split`);
    return this.embeddings.subarray(row * this.embeddingSize, (row + 1) * this.embeddingSize);
  }

  /** Teacher embeddings of a batch's ids, [B, D] float32 (the caller disposes it). */
  lookup(ids: ArrayLike<number>): tf.Tensor2D {
    const out = new Float32Array(ids.length * this.embeddingSize);
    for (let index = 0; index < ids.length; index += 1) out.set(this.get(ids[index]!), index * this.embeddingSize);
    return tf.tensor2d(out, [ids.length, this.embeddingSize]);
  }

  /** Streams `{ ids, embeddings }` in stored order, `batchSize` rows at a time. */
  *batches(batchSize: number): Generator<{ ids: Float64Array; embeddings: Float32Array }> {
    assertArgument(Number.isInteger(batchSize) && batchSize > 0, 'TEACHER_CACHE_BAD_BATCH', () => `TeacherEmbeddingCache.batches: batchSize must be a positive integer, got ${batchSize}`);
    for (let start = 0; start < this.count; start += batchSize) {
      const end = Math.min(start + batchSize, this.count);
      yield { ids: this.ids.subarray(start, end), embeddings: this.embeddings.subarray(start * this.embeddingSize, end * this.embeddingSize) };
    }
  }
}
