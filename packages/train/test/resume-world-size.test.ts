// Moving a run: a checkpoint written at W₁ ranks resumes at W₂ ≠ W₁ (threads or processes, ZeRO-1 on
// either side). The state carries over exactly, and the data continue from the same sample of the
// same epoch permutation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchRanks, loadSafetensors } from '@bigface/backend';
import { readCheckpointState, train, type TrainConfigInput, type TrainEvent } from '@bigface/train';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyConfig } from './support';

const root = mkdtempSync(path.join(tmpdir(), 'bigface-train-move-'));
const cacheDir = path.join(root, 'cache');
const tiny = tinyConfig(root, cacheDir);
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
if (!mpirun && process.env.CI) throw new Error('CI: mpirun is missing; .ci/run installs openmpi-bin (apt) before the tests');

// SynthFaces 6 identities × 4 images: 24 training images, every epoch a new permutation of them.
const IMAGES = 24;
const run = (name: string, worldSize: number, perRank: number, steps: number, extra: Partial<TrainConfigInput> = {}) =>
  tiny(name, {
    batch: { perRank },
    distributed: { worldSize, ...(extra.distributed ?? {}) },
    schedule: { steps, epochs: 3, warmupEpochs: 0, milestones: [2] },
    checkpoint: { everySteps: 1, keepLast: 10 },
    testing: { logSamples: true },
    ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'distributed')),
  });

/** Every rank's logged batches: { step, epoch, ids } per line. */
function samples(directory: string): { step: number; epoch: number; ids: number[] }[] {
  return readdirSync(directory)
    .filter((name) => /^samples\.rank-\d+\.jsonl$/.test(name))
    .flatMap((name) =>
      readFileSync(path.join(directory, name), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    );
}

/** The PartialFC centres and momentum of a checkpoint, whole (its shards concatenated in rank order). */
function centres(directory: string): { weight: number[]; momentum: number[] } {
  const shards = readdirSync(directory)
    .filter((name) => /^partial_fc\.rank-\d+-of-\d+\.safetensors$/.test(name))
    .sort((a, b) => Number(/rank-(\d+)/.exec(a)![1]) - Number(/rank-(\d+)/.exec(b)![1]))
    .map((name) => loadSafetensors(path.join(directory, name)).tensors);
  const all = (key: string) => shards.flatMap((tensors) => Array.from(tensors.get(key)!.data as Float32Array));
  const keys = [...shards[0]!.keys()];
  return { weight: all(keys.find((key) => !key.includes('momentum'))!), momentum: all(keys.find((key) => key.includes('momentum'))!) };
}

const reloadModule = fileURLToPath(new URL('./fixtures/reload-checkpoint.mjs', import.meta.url));

describe('resuming a run on another number of ranks', () => {
  it.each([
    { move: 'W = 2 (ZeRO 0) → W = 3 (ZeRO 1)', from: { worldSize: 2, perRank: 3, zero: 0 }, to: { worldSize: 3, perRank: 4, zero: 1 } },
    { move: 'W = 3 (ZeRO 1) → W = 1 (ZeRO 0)', from: { worldSize: 3, perRank: 2, zero: 1 }, to: { worldSize: 1, perRank: 4, zero: 0 } },
  ] as const)(
    '$move: the state loads exactly, and the epoch goes on where it stopped',
    async ({ from, to }) => {
      const name = `w${from.worldSize}-to-w${to.worldSize}`;
      const zero = (stage: 0 | 1) => ({ distributed: { zero: stage } });
      // Written at W₁ after 2 steps: 2 × W₁ × B₁ = 12 of the epoch's 24 images.
      const first = await train(run(name, from.worldSize, from.perRank, 2, zero(from.zero)));
      expect(readCheckpointState(first.finalCheckpoint).position).toEqual({ epoch: 0, step: 2 });

      // Loaded at W₂ and written straight back: the same bytes (backbone, momentum), the same centres.
      const copies = await launchRanks<string>({
        worldSize: to.worldSize,
        module: reloadModule,
        args: {
          config: run(name, to.worldSize, to.perRank, 2, zero(to.zero)),
          checkpoint: first.finalCheckpoint,
          numClasses: 6,
          outputDir: path.join(root, `${name}-reloaded`),
        },
      });
      const copy = copies[0]!;
      for (const file of ['backbone.safetensors', 'optimizer.safetensors']) {
        expect(readFileSync(path.join(copy, file)).equals(readFileSync(path.join(first.finalCheckpoint, file))), file).toBe(true);
      }
      expect(readdirSync(copy).filter((file) => file.startsWith('partial_fc')).length).toBe(to.worldSize);
      expect(centres(copy)).toEqual(centres(first.finalCheckpoint));

      // Continued at W₂ to the end of epoch 0: the images it sees are exactly the 12 the first part did not.
      const events: TrainEvent[] = [];
      const resumed = await train(run(name, to.worldSize, to.perRank, 2 + 12 / (to.worldSize * to.perRank), zero(to.zero)), {
        onEvent: (event) => events.push(event),
      });
      const start = events.find((event) => event.type === 'start') as Extract<TrainEvent, { type: 'start' }>;
      expect(start.resumeChange).toEqual({
        fromWorldSize: from.worldSize,
        fromGlobalBatch: from.worldSize * from.perRank,
        worldSize: to.worldSize,
        globalBatch: to.worldSize * to.perRank,
        epoch: 0,
        consumed: 12,
        epochImages: IMAGES,
      });
      expect(start.globalBatch).toBe(to.worldSize * to.perRank);
      expect(resumed.completed).toBe(true);
      const seen = samples(path.join(root, name))
        .filter((batch) => batch.epoch === 0)
        .flatMap((batch) => batch.ids);
      expect(seen).toHaveLength(IMAGES); // nothing twice
      // An uninterrupted run at W₁ sees the same set over its epoch 0.
      await train(run(`${name}-straight`, from.worldSize, from.perRank, IMAGES / (from.worldSize * from.perRank)));
      const straight = samples(path.join(root, `${name}-straight`))
        .filter((batch) => batch.epoch === 0)
        .flatMap((batch) => batch.ids);
      expect([...seen].sort((a, b) => a - b)).toEqual([...straight].sort((a, b) => a - b));
      // The next checkpoint is sharded for W₂ and remembers the global batch it was written with.
      const next = readCheckpointState(resumed.finalCheckpoint);
      expect({ worldSize: next.worldSize, globalBatch: next.globalBatch }).toEqual({ worldSize: to.worldSize, globalBatch: to.worldSize * to.perRank });
    },
    240_000,
  );

  it.skipIf(!mpirun)(
    'W = 2 threads → W = 2 processes: the resumed run ends bit for bit like an uninterrupted one',
    async () => {
      const straight = await train(run('threads-straight', 2, 4, 4, { testing: { frozenBatchNorm: false } }));
      await train(run('moved', 2, 4, 2, { distributed: { launcher: 'threads' }, testing: { frozenBatchNorm: false } }));
      const moved = await train(run('moved', 2, 4, 4, { distributed: { launcher: 'processes' }, testing: { frozenBatchNorm: false } }));
      expect(moved.steps).toBe(4);
      for (const file of readdirSync(straight.finalCheckpoint).filter((name) => name.endsWith('.safetensors'))) {
        expect(readFileSync(path.join(moved.finalCheckpoint, file)).equals(readFileSync(path.join(straight.finalCheckpoint, file))), file).toBe(true);
      }
    },
    240_000,
  );

  it('names what a checkpoint cannot carry over instead of restarting', async () => {
    await train(run('changed', 2, 3, 1));
    const changed = run('changed', 3, 4, 2, { model: { layers: [1, 1, 2, 1], widthMultiplier: 0.25, embeddingSize: 16 }, loss: { s: 16, m: 0.35 } });
    await expect(train(changed)).rejects.toMatchObject({
      code: 'RESUME_CONFIG_CHANGED',
      message: expect.stringMatching(
        /2 settings that a checkpoint cannot carry over changed:\n {2}loss\.m: 0\.3 in the checkpoint, 0\.35 now\n {2}model\.layers: \[1,1,1,1\] in the checkpoint, \[1,1,2,1\] now/,
      ),
    });
  }, 120_000);
});
