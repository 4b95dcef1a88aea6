import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { BigFaceError, assertArgument, isBigFaceError, tf } from '@bigface/backend';
import { idsFingerprint } from './ids-fingerprint';
import { SampleIdIndex } from './sample-id-index';

/** One batch of a dataset for {@link TeacherEmbeddingCache.build}. */
export interface TeacherCacheBatch {
  /**
   * Sample ids, one per image: non-negative safe integers (≤ 2^53 − 1), unique over the dataset —
   * RecordIO keys, dataset indices. Numbers, not strings, because they are stored as an F64
   * safetensors tensor and indexed in typed arrays (8 bytes an id, no string table); map names to
   * indices first if your samples are named by strings.
   */
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
  /** Where to write the safetensors file (atomically: a temporary file beside it, renamed when complete). */
  path: string;
  /** Recorded in the metadata and checked on load when asked. */
  teacherName: string;
  /** Dispose each batch's images once the teacher has run; default true (the cache consumes the stream). */
  disposeImages?: boolean;
  /** Return a cache held in memory (N·D·4 bytes) rather than one reading the file on demand; default false. */
  inMemory?: boolean;
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
  /**
   * Read all embeddings into memory (N·D·4 bytes) and close the file; default false: keep the file
   * open and read rows on demand (positioned reads), holding only the ids in memory.
   */
  inMemory?: boolean;
}

const FORMAT = 'bigface-teacher-embeddings/1';
/** As the safetensors reference implementation. */
const MAX_HEADER_BYTES = 100_000_000;
/** Largest single read or write (Node refuses lengths of 2 GiB and more). */
const IO_CHUNK = 1 << 30;
const FINGERPRINT_PLACEHOLDER = '0'.repeat(64);

interface Layout {
  count: number;
  embeddingSize: number;
  /** File offset of row 0 of the embeddings. */
  embeddingsStart: number;
  /** File offset of the ids (F64). */
  idsStart: number;
}

/** The safetensors header of a cache: metadata first, then `embeddings` F32 [N, D] and `ids` F64 [N] after it. */
function headerText(teacherName: string, count: number, embeddingSize: number, fingerprint: string): string {
  const embeddingBytes = count * embeddingSize * 4;
  return JSON.stringify({
    __metadata__: { format: FORMAT, count: String(count), embeddingSize: String(embeddingSize), idsFingerprint: fingerprint, teacherName },
    embeddings: { dtype: 'F32', shape: [count, embeddingSize], data_offsets: [0, embeddingBytes] },
    ids: { dtype: 'F64', shape: [count], data_offsets: [embeddingBytes, embeddingBytes + count * 8] },
  });
}

function writeFully(descriptor: number, bytes: Uint8Array, position: number): void {
  let written = 0;
  while (written < bytes.byteLength) {
    written += writeSync(descriptor, bytes, written, Math.min(IO_CHUNK, bytes.byteLength - written), position + written);
  }
}

/** Fills `bytes` from `position`; false when the file ends first. */
function readFully(descriptor: number, bytes: Uint8Array, position: number): boolean {
  let read = 0;
  while (read < bytes.byteLength) {
    const got = readSync(descriptor, bytes, read, Math.min(IO_CHUNK, bytes.byteLength - read), position + read);
    if (got === 0) return false;
    read += got;
  }
  return true;
}

function asBytes(values: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Closes descriptors of caches that were dropped without `close()` (a safety net, not the way to close). */
const leakedDescriptors = new FinalizationRegistry<number>((descriptor) => {
  try {
    closeSync(descriptor);
  } catch {
    // already closed
  }
});

/**
 * Teacher embeddings computed once over a dataset and stored in safetensors (`embeddings` F32
 * [N, D], `ids` F64 [N]; metadata: format, count, embeddingSize, idsFingerprint, teacherName),
 * so that distillation steps read the teacher's output instead of running a ResNet600. Lookup is
 * by sample id (non-negative integers: RecordIO keys or dataset indices).
 *
 * Built for WebFace42M-sized datasets (42M × 512-d = 86 GB): {@link TeacherEmbeddingCache.build}
 * streams each batch's rows to disk (one pass over the teacher, memory O(batch) besides the ids),
 * and {@link TeacherEmbeddingCache.load} keeps the file open and reads rows on demand with positioned
 * reads, holding only the id index in memory (8–20 bytes a sample; see {@link SampleIdIndex}). Pass
 * `inMemory: true` for small caches to hold every embedding in memory instead. Call
 * {@link TeacherEmbeddingCache.close} when done with a file-backed cache.
 *
 * A cache that does not match the dataset (count, embedding size, ids, teacher) is refused with
 * `TEACHER_CACHE_STALE` rather than silently distilling towards the wrong targets; a truncated or
 * inconsistent file is `TEACHER_CACHE_BAD_FORMAT`. The embedding bytes themselves carry no checksum
 * (hashing 86 GB on every load would cost more than it saves): the file is written atomically instead.
 *
 * @example
 * await TeacherEmbeddingCache.build({ teacher, dataset: batches(), path: 'teacher.safetensors', teacherName: 'r600' }).then((c) => c.close());
 * const cache = TeacherEmbeddingCache.load('teacher.safetensors', { expectedCount: 5000, expectedEmbeddingSize: 512 });
 * const targets = cache.lookup(batchIds); // [B, 512] tensor
 * cache.close();
 */
export class TeacherEmbeddingCache {
  readonly count: number;
  readonly embeddingSize: number;
  readonly teacherName: string;
  readonly fingerprint: string;
  /** The file the cache was built into or loaded from. */
  readonly path: string;
  /** Whether every embedding is held in memory (else rows are read from the file on demand). */
  readonly inMemory: boolean;
  private readonly ids: Float64Array;
  private readonly index: SampleIdIndex;
  private readonly embeddingsStart: number;
  private embeddings?: Float32Array;
  private descriptor?: number;
  private closed = false;

  private constructor(
    path: string,
    layout: Layout,
    ids: Float64Array,
    index: SampleIdIndex,
    teacherName: string,
    fingerprint: string,
    source: { descriptor: number } | { embeddings: Float32Array },
  ) {
    this.path = path;
    this.count = layout.count;
    this.embeddingSize = layout.embeddingSize;
    this.embeddingsStart = layout.embeddingsStart;
    this.ids = ids;
    this.index = index;
    this.teacherName = teacherName;
    this.fingerprint = fingerprint;
    if ('embeddings' in source) {
      this.embeddings = source.embeddings;
      this.inMemory = true;
    } else {
      this.descriptor = source.descriptor;
      this.inMemory = false;
      leakedDescriptors.register(this, source.descriptor, this);
    }
  }

  /**
   * Runs `teacher` once over `dataset` (in tidy, batch by batch), streaming the rows into a
   * temporary file beside `path` that is renamed to `path` when complete, and returns the cache
   * (file-backed unless `inMemory`). Memory: one batch plus the ids. Duplicate ids are found when
   * the pass ends (`TEACHER_CACHE_BAD_ID`), and nothing is written then.
   */
  static async build(options: BuildTeacherEmbeddingCacheOptions): Promise<TeacherEmbeddingCache> {
    const { teacher, dataset, path, teacherName, disposeImages = true, inMemory = false } = options;
    assertArgument(
      typeof teacherName === 'string',
      'TEACHER_CACHE_BAD_BATCH',
      () => `TeacherEmbeddingCache.build: teacherName must be a string, got ${String(teacherName)}`,
    );
    // Header area reserved up front with every number at its widest; the real header, written once
    // the count is known, is padded to it with spaces (which safetensors allows after the JSON).
    const headerBytes =
      Math.ceil(new TextEncoder().encode(headerText(teacherName, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, FINGERPRINT_PLACEHOLDER)).byteLength / 8) *
      8;
    const embeddingsStart = 8 + headerBytes;
    const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${threadId}-${randomBytes(6).toString('hex')}.tmp`);
    let descriptor: number | undefined;
    try {
      descriptor = openSync(temporary, 'wx');
    } catch (error) {
      throw new BigFaceError(
        'FILE_NOT_WRITABLE',
        `TeacherEmbeddingCache.build: cannot write beside '${path}' (${(error as Error).message}); check that its directory exists and is writable`,
        { cause: error },
      );
    }
    let renamed = false;
    try {
      let ids = new Float64Array(1024);
      let count = 0;
      let embeddingSize = -1;
      let position = embeddingsStart;
      for await (const batch of dataset) {
        const batchSize = batch.images.shape[0];
        try {
          assertArgument(
            batch.ids.length === batchSize,
            'TEACHER_CACHE_BAD_BATCH',
            () => `TeacherEmbeddingCache.build: a batch has ${batch.ids.length} ids for ${batchSize} images`,
          );
          tf.tidy(() => {
            const output = teacher(batch.images);
            assertArgument(
              output.rank === 2 && output.shape[0] === batchSize,
              'TEACHER_CACHE_BAD_BATCH',
              () => `TeacherEmbeddingCache.build: the teacher returned shape [${output.shape.join(', ')}] for ${batchSize} images; expected [${batchSize}, D]`,
            );
            if (embeddingSize === -1) embeddingSize = output.shape[1];
            assertArgument(
              output.shape[1] === embeddingSize,
              'TEACHER_CACHE_BAD_BATCH',
              () => `TeacherEmbeddingCache.build: the teacher returned ${output.shape[1]}-d embeddings after ${embeddingSize}-d ones`,
            );
            const values = output.dataSync() as Float32Array;
            writeFully(descriptor!, asBytes(values), position);
            position += values.byteLength;
          });
        } finally {
          if (disposeImages) batch.images.dispose();
        }
        if (count + batchSize > ids.length) {
          const grown = new Float64Array(Math.max(2 * ids.length, count + batchSize));
          grown.set(ids.subarray(0, count));
          ids = grown;
        }
        for (let index = 0; index < batchSize; index += 1) {
          const id = batch.ids[index]!;
          assertArgument(
            Number.isSafeInteger(id) && id >= 0,
            'TEACHER_CACHE_BAD_ID',
            () => `TeacherEmbeddingCache.build: sample ids must be non-negative safe integers (RecordIO keys or dataset indices), got ${id}`,
          );
          ids[count + index] = id;
        }
        count += batchSize;
      }
      assertArgument(count > 0, 'TEACHER_CACHE_BAD_BATCH', () => 'TeacherEmbeddingCache.build: the dataset yielded no samples');
      const storedIds = ids.slice(0, count);
      const index = new SampleIdIndex(storedIds, 'TeacherEmbeddingCache.build');
      const fingerprint = index.fingerprint();
      writeFully(descriptor, asBytes(storedIds), position);
      const header = new TextEncoder().encode(headerText(teacherName, count, embeddingSize, fingerprint).padEnd(headerBytes, ' '));
      const prefix = new Uint8Array(8 + headerBytes);
      new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes), true);
      prefix.set(header, 8);
      writeFully(descriptor, prefix, 0);
      fsyncSync(descriptor);
      closeSync(descriptor);
      descriptor = undefined;
      renameSync(temporary, path);
      renamed = true;
      syncDirectory(dirname(path));
      const layout: Layout = { count, embeddingSize, embeddingsStart, idsStart: position };
      return TeacherEmbeddingCache.open(path, layout, storedIds, index, teacherName, fingerprint, inMemory);
    } catch (error) {
      if (descriptor !== undefined) closeSync(descriptor);
      if (!renamed) rmSync(temporary, { force: true });
      if (isBigFaceError(error)) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
        throw new BigFaceError(
          'FILE_NOT_WRITABLE',
          `TeacherEmbeddingCache.build: cannot write '${path}' (${(error as Error).message}); check that its directory is writable and has space`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * Opens a cache written by {@link TeacherEmbeddingCache.build}, refusing one that does not match
   * `options`. Reads the header and the ids only (unless `inMemory`); the file stays open until
   * {@link TeacherEmbeddingCache.close}.
   */
  static load(path: string, options: LoadTeacherEmbeddingCacheOptions): TeacherEmbeddingCache {
    let descriptor: number;
    try {
      descriptor = openSync(path, 'r');
    } catch (error) {
      throw new BigFaceError(
        'FILE_NOT_READABLE',
        `teacher cache '${path}': cannot read the file (${(error as Error).message}); check the path, or build it with TeacherEmbeddingCache.build`,
        { cause: error },
      );
    }
    try {
      const corrupt = (what: string): never => {
        throw new BigFaceError('TEACHER_CACHE_BAD_FORMAT', `teacher cache '${path}' is corrupt: ${what}; rebuild it with TeacherEmbeddingCache.build`);
      };
      const stale = (what: string): never => {
        throw new BigFaceError(
          'TEACHER_CACHE_STALE',
          `teacher cache '${path}' ${what}: it was built for another dataset or teacher; rebuild it with TeacherEmbeddingCache.build`,
        );
      };
      const fileSize = fstatSync(descriptor).size;
      const lengthBytes = new Uint8Array(8);
      if (!readFully(descriptor, lengthBytes, 0)) corrupt(`${fileSize} bytes is shorter than the 8-byte safetensors header length`);
      const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, true);
      if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, fileSize - 8)))
        corrupt(`its header length ${headerLength} runs past the end of the ${fileSize}-byte file (truncated?) or is over ${MAX_HEADER_BYTES} bytes`);
      const headerBytes = new Uint8Array(Number(headerLength));
      readFully(descriptor, headerBytes, 8);
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes)) as Record<string, unknown>;
      } catch {
        throw new BigFaceError('TEACHER_CACHE_BAD_FORMAT', `teacher cache '${path}' is not a safetensors file (its header is not UTF-8 JSON)`);
      }
      const metadata = (typeof header === 'object' && header !== null && (header.__metadata__ as Record<string, string> | undefined)) || {};
      if (metadata.format !== FORMAT) {
        throw new BigFaceError(
          'TEACHER_CACHE_BAD_FORMAT',
          `teacher cache '${path}' is not a BigFace teacher cache (format '${metadata.format ?? 'missing'}', expected '${FORMAT}')`,
        );
      }
      const count = Number(metadata.count);
      const embeddingSize = Number(metadata.embeddingSize);
      const dataStart = 8 + Number(headerLength);
      const dataLength = fileSize - dataStart;
      const embeddings = header.embeddings as { dtype?: unknown; shape?: unknown[]; data_offsets?: unknown[] } | undefined;
      const ids = header.ids as typeof embeddings;
      const tensorsMatch =
        Number.isSafeInteger(count) &&
        count > 0 &&
        Number.isSafeInteger(embeddingSize) &&
        embeddingSize > 0 &&
        embeddings?.dtype === 'F32' &&
        ids?.dtype === 'F64' &&
        embeddings.shape?.length === 2 &&
        embeddings.shape[0] === count &&
        embeddings.shape[1] === embeddingSize &&
        ids.shape?.length === 1 &&
        ids.shape[0] === count;
      if (!tensorsMatch) corrupt(`its tensors do not match its metadata (count ${metadata.count}, embedding size ${metadata.embeddingSize})`);
      const embeddingBytes = count * embeddingSize * 4;
      const idBytes = count * 8;
      const [embeddingsBegin, embeddingsEnd] = (embeddings!.data_offsets ?? []) as number[];
      const [idsBegin, idsEnd] = (ids!.data_offsets ?? []) as number[];
      const tiled =
        embeddingsEnd! - embeddingsBegin! === embeddingBytes &&
        idsEnd! - idsBegin! === idBytes &&
        ((embeddingsBegin === 0 && idsBegin === embeddingBytes) || (idsBegin === 0 && embeddingsBegin === idBytes));
      if (!tiled) corrupt('the offsets of its tensors do not tile the data');
      if (dataLength !== embeddingBytes + idBytes)
        corrupt(`it holds ${dataLength} data bytes, not the ${embeddingBytes + idBytes} its header describes (truncated or appended to)`);
      if (count !== options.expectedCount) stale(`holds ${count} embeddings but the dataset has ${options.expectedCount} samples`);
      if (embeddingSize !== options.expectedEmbeddingSize) stale(`holds ${embeddingSize}-d embeddings but ${options.expectedEmbeddingSize}-d are expected`);
      if (options.teacherName !== undefined && metadata.teacherName !== options.teacherName)
        stale(`was built with teacher '${metadata.teacherName}', not '${options.teacherName}'`);
      const storedIds = new Float64Array(count);
      readFully(descriptor, asBytes(storedIds), dataStart + idsBegin!);
      let index: SampleIdIndex;
      try {
        index = new SampleIdIndex(storedIds, `teacher cache '${path}'`);
      } catch (error) {
        throw isBigFaceError(error) ? new BigFaceError('TEACHER_CACHE_BAD_FORMAT', `teacher cache '${path}' is corrupt: ${error.message}`) : error;
      }
      const fingerprint = index.fingerprint();
      if (fingerprint !== metadata.idsFingerprint) corrupt('its ids do not match the stored fingerprint');
      if (options.ids !== undefined && idsFingerprint(options.ids) !== fingerprint)
        stale('holds different sample ids than the dataset (ids fingerprint differs)');
      const layout: Layout = { count, embeddingSize, embeddingsStart: dataStart + embeddingsBegin!, idsStart: dataStart + idsBegin! };
      if (options.inMemory === true) {
        const values = new Float32Array(count * embeddingSize);
        readFully(descriptor, asBytes(values), layout.embeddingsStart);
        closeSync(descriptor);
        return new TeacherEmbeddingCache(path, layout, storedIds, index, metadata.teacherName ?? '', fingerprint, { embeddings: values });
      }
      return new TeacherEmbeddingCache(path, layout, storedIds, index, metadata.teacherName ?? '', fingerprint, { descriptor });
    } catch (error) {
      closeSync(descriptor);
      throw error;
    }
  }

  private static open(
    path: string,
    layout: Layout,
    ids: Float64Array,
    index: SampleIdIndex,
    teacherName: string,
    fingerprint: string,
    inMemory: boolean,
  ): TeacherEmbeddingCache {
    let descriptor: number;
    try {
      descriptor = openSync(path, 'r');
    } catch (error) {
      throw new BigFaceError('FILE_NOT_READABLE', `teacher cache '${path}': cannot read the file just written (${(error as Error).message})`, { cause: error });
    }
    if (!inMemory) return new TeacherEmbeddingCache(path, layout, ids, index, teacherName, fingerprint, { descriptor });
    try {
      const values = new Float32Array(layout.count * layout.embeddingSize);
      readFully(descriptor, asBytes(values), layout.embeddingsStart);
      return new TeacherEmbeddingCache(path, layout, ids, index, teacherName, fingerprint, { embeddings: values });
    } finally {
      closeSync(descriptor);
    }
  }

  /** Whether the cache holds sample `id`. */
  has(id: number): boolean {
    return this.index.has(id);
  }

  /** The teacher embedding of sample `id` (in-memory: a view into the cache, do not modify; file-backed: a fresh copy). */
  get(id: number): Float32Array {
    const row = this.index.requireRow(id);
    if (this.embeddings !== undefined) {
      this.assertOpen();
      return this.embeddings.subarray(row * this.embeddingSize, (row + 1) * this.embeddingSize);
    }
    const out = new Float32Array(this.embeddingSize);
    this.readRows(row, 1, out, 0);
    return out;
  }

  /** Teacher embeddings of a batch's ids, [B, D] float32 (the caller disposes it). Consecutive rows are read together. */
  lookup(ids: ArrayLike<number>): tf.Tensor2D {
    const size = this.embeddingSize;
    const out = new Float32Array(ids.length * size);
    let runStart = 0;
    let runRow = -1;
    for (let index = 0; index <= ids.length; index += 1) {
      const row = index < ids.length ? this.index.requireRow(ids[index]!) : -1;
      if (runRow >= 0 && row === runRow + (index - runStart)) continue;
      if (runRow >= 0) this.readRows(runRow, index - runStart, out, runStart);
      runStart = index;
      runRow = row;
    }
    return tf.tensor2d(out, [ids.length, size]);
  }

  /** Streams `{ ids, embeddings }` in stored order, `batchSize` rows at a time (in-memory: views; file-backed: one read per batch). */
  *batches(batchSize: number): Generator<{ ids: Float64Array; embeddings: Float32Array }> {
    assertArgument(
      Number.isInteger(batchSize) && batchSize > 0,
      'TEACHER_CACHE_BAD_BATCH',
      () => `TeacherEmbeddingCache.batches: batchSize must be a positive integer, got ${batchSize}`,
    );
    for (let start = 0; start < this.count; start += batchSize) {
      const end = Math.min(start + batchSize, this.count);
      let embeddings: Float32Array;
      if (this.embeddings !== undefined) {
        this.assertOpen();
        embeddings = this.embeddings.subarray(start * this.embeddingSize, end * this.embeddingSize);
      } else {
        embeddings = new Float32Array((end - start) * this.embeddingSize);
        this.readRows(start, end - start, embeddings, 0);
      }
      yield { ids: this.ids.subarray(start, end), embeddings };
    }
  }

  /** Closes the file (file-backed) and releases the embeddings; later reads are `TEACHER_CACHE_CLOSED`. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.embeddings = undefined;
    if (this.descriptor !== undefined) {
      leakedDescriptors.unregister(this);
      const descriptor = this.descriptor;
      this.descriptor = undefined;
      closeSync(descriptor);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BigFaceError('TEACHER_CACHE_CLOSED', `teacher cache '${this.path}' was closed; load it again to read embeddings`);
  }

  /** Copies `rowCount` rows from `firstRow` into `out` at row `outRow`. */
  private readRows(firstRow: number, rowCount: number, out: Float32Array, outRow: number): void {
    this.assertOpen();
    const size = this.embeddingSize;
    if (this.embeddings !== undefined) {
      out.set(this.embeddings.subarray(firstRow * size, (firstRow + rowCount) * size), outRow * size);
      return;
    }
    const bytes = new Uint8Array(out.buffer, out.byteOffset + outRow * size * 4, rowCount * size * 4);
    if (!readFully(this.descriptor!, bytes, this.embeddingsStart + firstRow * size * 4)) {
      throw new BigFaceError(
        'TEACHER_CACHE_BAD_FORMAT',
        `teacher cache '${this.path}' ended before row ${firstRow + rowCount - 1}: the file was truncated after loading; rebuild it`,
      );
    }
  }
}

function syncDirectory(directory: string): void {
  try {
    const descriptor = openSync(directory, 'r');
    try {
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  } catch {
    // Some platforms and filesystems refuse fsync on directories; the rename is still atomic.
  }
}
