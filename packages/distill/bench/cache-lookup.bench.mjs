// Teacher-embedding cache at scale: build a ~1M-row cache file by streaming (ids 1..N, as RecordIO
// keys), then look up batches of 256 random ids — rows read from the file on demand (positioned
// reads; the file was just written, so the page cache is warm) versus the whole cache in memory.
// BIGFACE_CACHE_ROWS / BIGFACE_CACHE_DIM override the size (default 2^20 × 512 = 2 GiB).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, initBackend, tf } from '@bigface/backend';
import { TeacherEmbeddingCache } from '@bigface/distill';

await initBackend({ backend: 'cpu' });
const rows = Number(process.env.BIGFACE_CACHE_ROWS ?? 2 ** 20);
const embeddingSize = Number(process.env.BIGFACE_CACHE_DIM ?? 512);
const buildBatch = 4096;
const batch = 256;
const lookups = 2000;
const directory = mkdtempSync(join(tmpdir(), 'bigface-cache-bench-'));
const path = join(directory, 'teacher.safetensors');

function* dataset() {
  for (let start = 0; start < rows; start += buildBatch) {
    const size = Math.min(buildBatch, rows - start);
    const ids = Array.from({ length: size }, (_, k) => start + k + 1);
    yield { ids, images: tf.randomUniform([size, 1, 1, embeddingSize], -1, 1, 'float32', start) };
  }
}
const teacher = (images) => tf.reshape(images, [images.shape[0], embeddingSize]);

try {
  const heapBefore = process.memoryUsage().rss;
  let begin = performance.now();
  const built = await TeacherEmbeddingCache.build({ teacher, dataset: dataset(), path, teacherName: 'random' });
  const buildMs = performance.now() - begin;
  const buildRssGrowthMiB = (process.memoryUsage().rss - heapBefore) / 2 ** 20;
  built.close();
  const base = {
    bench: 'teacher-cache-lookup',
    rows,
    embeddingSize,
    fileMiB: Math.round(statSync(path).size / 2 ** 20),
    batch,
    lookups,
    load1: Number(loadavg()[0].toFixed(2)),
  };
  console.log(
    JSON.stringify({
      bench: 'teacher-cache-build',
      rows,
      embeddingSize,
      buildBatch,
      ms: Math.round(buildMs),
      rowsPerSecond: Math.round(rows / (buildMs / 1000)),
      rssGrowthMiB: Math.round(buildRssGrowthMiB),
      load1: base.load1,
    }),
  );

  for (const inMemory of [false, true]) {
    begin = performance.now();
    const cache = TeacherEmbeddingCache.load(path, { expectedCount: rows, expectedEmbeddingSize: embeddingSize, inMemory });
    const loadMs = performance.now() - begin;
    const rng = new Rng(1);
    const ids = new Array(batch);
    const run = (count) => {
      for (let step = 0; step < count; step += 1) {
        for (let k = 0; k < batch; k += 1) ids[k] = 1 + rng.int(rows);
        cache.lookup(ids).dispose();
      }
    };
    run(50); // warm-up
    begin = performance.now();
    run(lookups);
    const seconds = (performance.now() - begin) / 1000;
    cache.close();
    console.log(
      JSON.stringify({
        ...base,
        mode: inMemory ? 'in-memory' : 'file (positioned reads, warm page cache)',
        loadMs: Math.round(loadMs),
        rowsPerSecond: Math.round((lookups * batch) / seconds),
        microsecondsPerBatch: Math.round((seconds * 1e6) / lookups),
      }),
    );
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
