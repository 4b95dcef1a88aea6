import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, initBackend, readSafetensors, saveSafetensors, tf, writeSafetensors } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { code } from '../test/error-code';
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
    yield {
      ids: ks.map((k) => 100 + k),
      images: tf.tensor4d(
        ks.flatMap((k) => [k, 1]),
        [ks.length, 1, 1, 2],
      ),
    };
  }
}

/** A teacher that returns its 1×1×D images as the embeddings: the test knows every row exactly. */
const passThrough = (images: tf.Tensor4D): tf.Tensor2D => tf.reshape(images, [images.shape[0], images.shape[3]]);

/** Random embeddings for `ids`, streamed in batches, and the reference Map id → row the test keeps. */
function randomDataset(
  ids: ArrayLike<number>,
  size: number,
  batchSize: number,
  seed: number,
): { batches: () => Generator<TeacherCacheBatch>; reference: Map<number, Float32Array> } {
  const rng = new Rng(seed);
  const reference = new Map<number, Float32Array>();
  for (let row = 0; row < ids.length; row += 1) {
    const values = new Float32Array(size);
    rng.fillNormal(values, 0, 1);
    reference.set(ids[row]!, values);
  }
  function* batches(): Generator<TeacherCacheBatch> {
    for (let start = 0; start < ids.length; start += batchSize) {
      const batchIds = Array.from(ids).slice(start, start + batchSize);
      const data = new Float32Array(batchIds.length * size);
      batchIds.forEach((id, k) => {
        data.set(reference.get(id)!, k * size);
      });
      yield { ids: batchIds, images: tf.tensor4d(data, [batchIds.length, 1, 1, size]) };
    }
  }
  return { batches, reference };
}

/** Open file descriptors of this process (Linux), to check that caches close theirs. */
function openDescriptors(): number {
  return existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : 0;
}

describe('TeacherEmbeddingCache', () => {
  it('runs the teacher once over the dataset, stores by id with metadata, and looks up by id', async () => {
    const before = tf.memory().numTensors;
    const path = join(directory, 'ok.safetensors');
    let calls = 0;
    const built = await TeacherEmbeddingCache.build({
      teacher: (x) => {
        calls += 1;
        return teacher(x);
      },
      dataset: dataset(5, 2),
      path,
      teacherName: 'tiny',
    });
    expect(calls).toBe(3); // batches of 2, 2, 1
    expect(tf.memory().numTensors).toBe(before);
    expect(built.count).toBe(5);
    expect(built.inMemory).toBe(false);
    expect(Array.from(built.get(102))).toEqual([4, 3, -1]);
    built.close();
    const file = readSafetensors(readFileSync(path), path);
    expect(file.metadata).toMatchObject({ count: '5', embeddingSize: '3', teacherName: 'tiny' });

    for (const inMemory of [false, true]) {
      const cache = TeacherEmbeddingCache.load(path, {
        expectedCount: 5,
        expectedEmbeddingSize: 3,
        ids: [104, 103, 102, 101, 100],
        teacherName: 'tiny',
        inMemory,
      });
      expect(cache.inMemory).toBe(inMemory);
      expect(Array.from(cache.get(103))).toEqual([6, 4, -2]); // k = 3: (6, 4, −2)
      const lookup = cache.lookup([104, 100]);
      expect(lookup.arraySync()).toEqual([
        [8, 5, -3],
        [0, 1, 1],
      ]);
      lookup.dispose();
      expect([...cache.batches(4)].map((batch) => Array.from(batch.ids))).toEqual([[100, 101, 102, 103], [104]]);
      expect([...cache.batches(4)].map((batch) => Array.from(batch.embeddings))).toEqual([
        [0, 1, 1, 2, 2, 0, 4, 3, -1, 6, 4, -2],
        [8, 5, -3],
      ]);
      expect(code(() => cache.get(7))).toMatch(/^TEACHER_CACHE_MISSING_ID: .*no embedding for sample id 7/);
      cache.close();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('streams rows to disk during the pass and writes a safetensors file an independent reader accepts', async () => {
    const path = join(directory, 'stream.safetensors');
    const size = 6;
    const batchSize = 50;
    const ids = Array.from({ length: 230 }, (_, k) => 1000 + 7 * k);
    const { batches, reference } = randomDataset(ids, size, batchSize, 3);
    // Size of the temporary file each time the build asks for the next batch: it grows by one
    // batch of rows each time, so rows reach the disk while the dataset is still streaming.
    const sizes: number[] = [];
    async function* watched(): AsyncGenerator<TeacherCacheBatch> {
      for (const batch of batches()) {
        const temporary = readdirSync(directory).filter((name) => name.startsWith('.stream.safetensors.') && name.endsWith('.tmp'));
        if (sizes.length > 0 || temporary.length > 0) sizes.push(statSync(join(directory, temporary[0]!)).size);
        else sizes.push(0);
        yield batch;
      }
    }
    const cache = await TeacherEmbeddingCache.build({ teacher: passThrough, dataset: watched(), path, teacherName: 'random' });
    cache.close();
    // Before batch 0 the file is empty (nothing written yet); before batch k ≥ 1 it ends after k batches of rows.
    const rowBytes = size * 4;
    expect(sizes[0]).toBe(0);
    for (let k = 2; k < sizes.length; k += 1) expect(sizes[k]! - sizes[k - 1]!).toBe(batchSize * rowBytes);
    expect(readdirSync(directory).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    // The bytes, read back by @bigface/backend's readSafetensors and by hand.
    const bytes = readFileSync(path);
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const headerText = bytes.subarray(8, 8 + headerLength).toString('utf8');
    expect(headerText).toMatch(/^\{.*\} *$/); // JSON, padded with spaces to the reserved length
    expect(sizes[1]! - 8 - headerLength).toBe(batchSize * rowBytes);
    const file = readSafetensors(bytes, path, { copy: true });
    expect([...file.tensors.keys()]).toEqual(['embeddings', 'ids']);
    const embeddings = file.tensors.get('embeddings')!;
    const storedIds = file.tensors.get('ids')!;
    expect(embeddings).toMatchObject({ dtype: 'F32', shape: [230, size] });
    expect(storedIds).toMatchObject({ dtype: 'F64', shape: [230] });
    expect(Array.from(storedIds.data as Float64Array)).toEqual(ids);
    ids.forEach((id, row) => {
      expect(Array.from((embeddings.data as Float32Array).subarray(row * size, (row + 1) * size))).toEqual(Array.from(reference.get(id)!));
    });
    const sorted = Float64Array.from(ids).sort();
    expect(file.metadata).toEqual({
      format: 'bigface-teacher-embeddings/1',
      count: '230',
      embeddingSize: String(size),
      idsFingerprint: createHash('sha256').update(new Uint8Array(sorted.buffer)).digest('hex'),
      teacherName: 'random',
    });
  });

  const rng = new Rng(5);
  const schemes: Array<[string, number[]]> = [
    ['dataset indices in order', Array.from({ length: 700 }, (_, k) => k)],
    ['shuffled dataset indices', Array.from(rng.permutation(700))],
    ['shuffled sparse ids up to 2^45', Array.from(rng.permutation(700), (k) => k * 2 ** 35 + 11)],
  ];
  for (const [name, ids] of schemes) {
    it(`looks up the same rows as an in-memory reference, file-backed and in memory: ${name}`, async () => {
      const path = join(directory, `lookup-${ids[1]}.safetensors`);
      const size = 10;
      const { batches, reference } = randomDataset(ids, size, 64, 7);
      (await TeacherEmbeddingCache.build({ teacher: passThrough, dataset: batches(), path, teacherName: 't' })).close();
      const descriptors = openDescriptors();
      const fileBacked = TeacherEmbeddingCache.load(path, { expectedCount: ids.length, expectedEmbeddingSize: size, ids });
      const inMemory = TeacherEmbeddingCache.load(path, { expectedCount: ids.length, expectedEmbeddingSize: size, inMemory: true });
      const before = tf.memory().numTensors;
      const pick = new Rng(9);
      // Random batches (repeats allowed), a run of consecutive stored rows, and the whole set.
      const queries = [
        ...Array.from({ length: 8 }, () => Array.from({ length: 256 }, () => ids[pick.int(ids.length)]!)),
        ids.slice(100, 356),
        [...ids].reverse(),
      ];
      for (const query of queries) {
        const expected = query.flatMap((id) => Array.from(reference.get(id)!));
        for (const cache of [fileBacked, inMemory]) {
          const rows = cache.lookup(query);
          expect(rows.shape).toEqual([query.length, size]);
          expect(Array.from(rows.dataSync())).toEqual(expected);
          rows.dispose();
        }
      }
      for (const id of [ids[0]!, ids[699]!, ids[350]!]) {
        expect(Array.from(fileBacked.get(id))).toEqual(Array.from(reference.get(id)!));
        expect(fileBacked.has(id)).toBe(true);
      }
      expect(fileBacked.has(-1)).toBe(false);
      expect(fileBacked.has(123456789)).toBe(false);
      const streamed = [...fileBacked.batches(300)];
      expect(streamed.map((batch) => batch.ids.length)).toEqual([300, 300, 100]);
      expect(streamed.flatMap((batch) => Array.from(batch.ids))).toEqual(ids);
      expect(streamed.flatMap((batch) => Array.from(batch.embeddings))).toEqual(ids.flatMap((id) => Array.from(reference.get(id)!)));
      expect(tf.memory().numTensors).toBe(before);
      fileBacked.close();
      inMemory.close();
      if (descriptors > 0) expect(openDescriptors()).toBe(descriptors);
    });
  }

  it('closes its file: close() releases the descriptor, later reads are TEACHER_CACHE_CLOSED, failed loads leak none', async () => {
    const path = join(directory, 'close.safetensors');
    (await TeacherEmbeddingCache.build({ teacher, dataset: dataset(3, 3), path, teacherName: 'tiny' })).close();
    const baseline = openDescriptors();
    const cache = TeacherEmbeddingCache.load(path, { expectedCount: 3, expectedEmbeddingSize: 3 });
    if (baseline > 0) expect(openDescriptors()).toBe(baseline + 1);
    cache.close();
    cache.close(); // idempotent
    if (baseline > 0) expect(openDescriptors()).toBe(baseline);
    expect(code(() => cache.lookup([100]))).toMatch(/^TEACHER_CACHE_CLOSED: teacher cache '.*close.safetensors' was closed/);
    expect(code(() => cache.get(100))).toMatch(/^TEACHER_CACHE_CLOSED/);
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 4, expectedEmbeddingSize: 3 }))).toMatch(/^TEACHER_CACHE_STALE/);
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 3, expectedEmbeddingSize: 3, inMemory: true }).close())).toBeUndefined();
    if (baseline > 0) expect(openDescriptors()).toBe(baseline);
  });

  it('refuses a stale cache: other size, embedding size, ids or teacher', async () => {
    const path = join(directory, 'stale.safetensors');
    (await TeacherEmbeddingCache.build({ teacher, dataset: dataset(4, 4), path, teacherName: 'tiny' })).close();
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 5, expectedEmbeddingSize: 3 }))).toMatch(
      /^TEACHER_CACHE_STALE: .*holds 4 embeddings but the dataset has 5 samples.*rebuild it/,
    );
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 4, expectedEmbeddingSize: 512 }))).toMatch(
      /^TEACHER_CACHE_STALE: .*holds 3-d embeddings but 512-d are expected/,
    );
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 4, expectedEmbeddingSize: 3, ids: [100, 101, 102, 999] }))).toMatch(
      /^TEACHER_CACHE_STALE: .*different sample ids/,
    );
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 4, expectedEmbeddingSize: 3, teacherName: 'r600' }))).toMatch(
      /^TEACHER_CACHE_STALE: .*teacher 'tiny', not 'r600'/,
    );
    expect(code(() => TeacherEmbeddingCache.load(join(directory, 'absent.safetensors'), { expectedCount: 4, expectedEmbeddingSize: 3 }))).toMatch(
      /^FILE_NOT_READABLE/,
    );
  });

  it('refuses a corrupt file: truncated, appended to, ids changed, header broken', async () => {
    const path = join(directory, 'corrupt.safetensors');
    (await TeacherEmbeddingCache.build({ teacher, dataset: dataset(4, 2), path, teacherName: 'tiny' })).close();
    const good = readFileSync(path);
    const load = (): TeacherEmbeddingCache => TeacherEmbeddingCache.load(path, { expectedCount: 4, expectedEmbeddingSize: 3 });
    truncateSync(path, good.byteLength - 8);
    expect(code(load)).toMatch(/^TEACHER_CACHE_BAD_FORMAT: .*corrupt: it holds \d+ data bytes, not the 80 its header describes \(truncated/);
    writeFileSync(path, Buffer.concat([good, Buffer.alloc(4)]));
    expect(code(load)).toMatch(/^TEACHER_CACHE_BAD_FORMAT: .*appended to/);
    const changedId = Buffer.from(good);
    changedId[good.byteLength - 2]! ^= 0x01; // a bit of the last id (F64, at the end of the file)
    writeFileSync(path, changedId);
    expect(code(load)).toMatch(/^TEACHER_CACHE_BAD_FORMAT: .*ids do not match the stored fingerprint/);
    const brokenHeader = Buffer.from(good);
    brokenHeader[8] = 0x5b; // '{' → '['
    writeFileSync(path, brokenHeader);
    expect(code(load)).toMatch(/^TEACHER_CACHE_BAD_FORMAT: .*not a safetensors file/);
    writeFileSync(path, good.subarray(0, 5));
    expect(code(load)).toMatch(/^TEACHER_CACHE_BAD_FORMAT: .*shorter than the 8-byte/);
    // Truncated after it was opened: the read that runs past the end says so.
    writeFileSync(path, good);
    const cache = load();
    truncateSync(path, 8 + Number(good.readBigUInt64LE(0)) + 12);
    expect(code(() => cache.lookup([103]))).toMatch(/^TEACHER_CACHE_BAD_FORMAT: .*ended before row 3/);
    cache.close();
  });

  it('loads a cache written whole with saveSafetensors (ids first, as earlier versions wrote)', () => {
    const path = join(directory, 'whole.safetensors');
    const ids = Float64Array.from([30, 10, 20]);
    const sorted = Float64Array.from(ids).sort();
    const fingerprint = createHash('sha256').update(new Uint8Array(sorted.buffer)).digest('hex');
    saveSafetensors(
      path,
      { embeddings: { dtype: 'F32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, ids: { dtype: 'F64', shape: [3], data: ids } },
      { format: 'bigface-teacher-embeddings/1', count: '3', embeddingSize: '2', idsFingerprint: fingerprint, teacherName: 'old' },
    );
    const cache = TeacherEmbeddingCache.load(path, { expectedCount: 3, expectedEmbeddingSize: 2, teacherName: 'old' });
    const rows = cache.lookup([10, 30, 20]);
    expect(rows.arraySync()).toEqual([
      [3, 4],
      [1, 2],
      [5, 6],
    ]);
    rows.dispose();
    cache.close();
  });

  it('refuses a file that is not a cache, and duplicate ids while building (writing nothing)', async () => {
    const path = join(directory, 'other.safetensors');
    writeFileSync(path, writeSafetensors({ weight: { shape: [1], data: new Float32Array(1) } }));
    expect(code(() => TeacherEmbeddingCache.load(path, { expectedCount: 1, expectedEmbeddingSize: 1 }))).toMatch(
      /^TEACHER_CACHE_BAD_FORMAT: .*not a BigFace teacher cache/,
    );
    const duplicate = [{ ids: [1, 1], images: tf.zeros([2, 1, 1, 2]) as tf.Tensor4D }];
    await expect(TeacherEmbeddingCache.build({ teacher, dataset: duplicate, path: join(directory, 'dup.safetensors'), teacherName: 't' })).rejects.toThrow(
      /sample id 1 appears twice/,
    );
    expect(existsSync(join(directory, 'dup.safetensors'))).toBe(false);
    const negative = [{ ids: [3, -1], images: tf.zeros([2, 1, 1, 2]) as tf.Tensor4D }];
    await expect(TeacherEmbeddingCache.build({ teacher, dataset: negative, path: join(directory, 'neg.safetensors'), teacherName: 't' })).rejects.toThrow(
      /non-negative safe integers .*got -1/,
    );
    expect(readdirSync(directory).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await expect(
      TeacherEmbeddingCache.build({ teacher, dataset: dataset(2, 2), path: join(directory, 'absent', 'x.safetensors'), teacherName: 't' }),
    ).rejects.toThrow(/cannot write beside '.*absent\/x.safetensors'.*check that its directory exists/);
  });
});
