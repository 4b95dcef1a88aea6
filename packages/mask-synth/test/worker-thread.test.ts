// The data loader runs maskAugment in worker threads: results must depend on the per-image seed only,
// not on which thread ran it or what else that thread did before. Two workers (running the built
// package, as a loader would: test/fixtures/augment-worker.mjs) each mask every other image; the main
// thread masks them all, in reverse order.
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { encodeImage } from '../src/encode-image';
import { maskAugment } from '../src/mask-augment';
import { maskImage } from '../src/mask-image';
import { syntheticFace } from './helpers';

function inWorker(seeds: number[], pixels: Uint8Array, fixture = 'augment-worker.mjs'): Promise<Record<number, { metadata: unknown; digest: string }>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(`./fixtures/${fixture}`, import.meta.url), { workerData: { seeds, pixels, jpeg: pixels } });
    worker.once('message', (message) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('maskAugment in worker threads', () => {
  it('gives the same pixels, alpha and metadata per seed as the main thread, in any order', async () => {
    const face = syntheticFace();
    const seeds = Array.from({ length: 24 }, (_, i) => 1000 + 37 * i);
    const [even, odd] = await Promise.all([
      inWorker(
        seeds.filter((_, i) => i % 2 === 0),
        face.data,
      ),
      inWorker(
        seeds.filter((_, i) => i % 2 === 1),
        face.data,
      ),
    ]);
    const fromWorkers = { ...even, ...odd };
    const augment = maskAugment({ ratio: 0.5 });
    let masked = 0;
    for (const seed of seeds.slice().reverse()) {
      const result = augment(face, { seed });
      const digest = createHash('sha256').update(result.image.data).update(result.alpha).digest('hex');
      expect(fromWorkers[seed], `seed ${seed}`).toEqual({ metadata: result.metadata, digest });
      if (result.metadata !== null) masked++;
    }
    // Both outcomes occur, so the comparison covers masked and unmasked images.
    expect(masked).toBeGreaterThan(0);
    expect(masked).toBeLessThan(seeds.length);
  });
});

describe('maskImage on JPEG bytes in worker threads', () => {
  it('gives the same encoded bytes per seed as the main thread (each thread has its own WebAssembly codec)', async () => {
    const jpeg = await encodeImage(syntheticFace(), 'jpeg', 95);
    const seeds = Array.from({ length: 12 }, (_, i) => 500 + i);
    const [even, odd] = await Promise.all([
      inWorker(
        seeds.filter((_, i) => i % 2 === 0),
        jpeg,
        'mask-image-worker.mjs',
      ),
      inWorker(
        seeds.filter((_, i) => i % 2 === 1),
        jpeg,
        'mask-image-worker.mjs',
      ),
    ]);
    const fromWorkers = { ...even, ...odd };
    for (const seed of seeds.slice().reverse()) {
      const result = await maskImage(jpeg, { seed, synthesizer: seed % 2 === 0 ? 'textured' : 'natural' });
      const digest = createHash('sha256').update(result.encoded).update(result.alpha).digest('hex');
      expect(fromWorkers[seed], `seed ${seed}`).toEqual({ metadata: result.metadata, digest });
    }
  });
});
