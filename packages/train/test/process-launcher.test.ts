// distributed.launcher 'processes': train starts W Node processes under mpirun itself (as torchrun),
// and they train exactly like W worker threads; stops, failures and a missing mpirun are handled.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { train, type TrainEvent } from '@bigface/train';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../src/config';
import { gpuForLocalRank, resolveLauncher } from '../src/launch-process-ranks';
import { backboneOf, maxRelativeDifference, tinyConfig } from './support';

const root = mkdtempSync(path.join(tmpdir(), 'bigface-train-processes-'));
const cacheDir = path.join(root, 'cache');
const tiny = tinyConfig(root, cacheDir);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
if (!mpirun && process.env.CI) throw new Error('CI: mpirun is missing; .ci/run installs openmpi-bin (apt) before the tests');

describe('choosing the launcher', () => {
  it("refuses worker-thread ranks on libtensorflow, which cannot share a process, and picks processes for it under 'auto'", () => {
    const config = (launcher: 'auto' | 'threads' | 'processes', backend: 'tensorflow' | 'wasm') =>
      resolveTrainConfig({ ...tiny('choice'), backend, distributed: { worldSize: 2, launcher } });
    expect(() => resolveLauncher(config('threads', 'tensorflow'))).toThrow(
      /cannot run in more than one worker thread of a process \(tensorflow\/tfjs#8388\); use distributed.launcher 'processes'/,
    );
    expect(resolveLauncher(config('auto', 'tensorflow'))).toBe('processes');
    expect(resolveLauncher(config('auto', 'wasm'))).toBe('threads');
    expect(resolveLauncher(config('processes', 'wasm'))).toBe('processes');
  });

  it('gives each rank process one GPU from its local rank when the backend is tfjs-node-gpu', () => {
    const gpu = '@tensorflow/tfjs-node-gpu' as const;
    expect(gpuForLocalRank('auto', 1, undefined, gpu)).toBe('1');
    expect(gpuForLocalRank('tensorflow', 1, '2,3', gpu)).toBe('3');
    expect(gpuForLocalRank('auto', 2, '2, 3', gpu)).toBe('2'); // more ranks than devices: round robin
    expect(gpuForLocalRank('auto', 1, '2,3', '@tensorflow/tfjs-node')).toBeUndefined(); // CPU libtensorflow
    expect(gpuForLocalRank('wasm', 1, '2,3', gpu)).toBeUndefined();
  });

  it('says how to install mpirun when it is missing', async () => {
    const previous = process.env.BIGFACE_MPIRUN;
    process.env.BIGFACE_MPIRUN = path.join(root, 'no-such-mpirun');
    try {
      await expect(train(tiny('no-mpirun', { batch: { perRank: 4 }, distributed: { worldSize: 2, launcher: 'processes' } }))).rejects.toMatchObject({
        code: 'MPIRUN_NOT_FOUND',
        message: expect.stringContaining('apt-get install openmpi-bin libopenmpi-dev'),
      });
    } finally {
      if (previous === undefined) delete process.env.BIGFACE_MPIRUN;
      else process.env.BIGFACE_MPIRUN = previous;
    }
  });
});

describe.skipIf(!mpirun)('W = 2 rank processes under mpirun', () => {
  const common = { batch: { perRank: 4 }, testing: { frozenBatchNorm: true } } as const;

  it('train exactly like W = 2 worker threads: bit-identical checkpoints, the same events', async () => {
    const threadEvents: string[] = [];
    const processEvents: string[] = [];
    const threads = await train(tiny('threads', { ...common, distributed: { worldSize: 2, launcher: 'threads' } }), {
      onEvent: (e) => threadEvents.push(e.type),
    });
    const processes = await train(tiny('processes', { ...common, distributed: { worldSize: 2, launcher: 'processes' } }), {
      onEvent: (e) => processEvents.push(e.type),
    });
    expect(processes.steps).toBe(3);
    expect(processEvents).toEqual(threadEvents);
    const files = readdirSync(threads.finalCheckpoint)
      .filter((name) => name.endsWith('.safetensors'))
      .sort();
    expect(
      readdirSync(processes.finalCheckpoint)
        .filter((name) => name.endsWith('.safetensors'))
        .sort(),
    ).toEqual(files);
    for (const file of files) {
      expect(readFileSync(path.join(processes.finalCheckpoint, file)).equals(readFileSync(path.join(threads.finalCheckpoint, file))), file).toBe(true);
    }
    expect(
      maxRelativeDifference(backboneOf(processes.finalCheckpoint), backboneOf(path.join(root, 'threads', 'checkpoints', 'step-00000002'))),
    ).toBeGreaterThan(1e-3);
  }, 180_000);

  it('stop at a step boundary on abort with a checkpoint, and the same call resumes to the end', async () => {
    const config = tiny('stop', {
      ...common,
      schedule: { steps: 6, epochs: 4, warmupEpochs: 0, milestones: [2] },
      distributed: { worldSize: 2, launcher: 'processes' },
    });
    const controller = new AbortController();
    const events: TrainEvent[] = [];
    const stopped = await train(config, {
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'step' && event.step === 2) controller.abort();
      },
    });
    expect(stopped.completed).toBe(false);
    expect(stopped.steps).toBeGreaterThanOrEqual(2);
    expect(stopped.steps).toBeLessThan(6);
    expect(existsSync(path.join(stopped.finalCheckpoint, 'state.json'))).toBe(true);
    const resumed = await train(config);
    expect(resumed.completed).toBe(true);
    expect(resumed.steps).toBe(6);
    const steps = readFileSync(path.join(root, 'stop', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
  }, 180_000);

  it.each(['throw', 'exit'] as const)(
    'take the whole job down within seconds when a rank fails (%s), naming the rank',
    async (how) => {
      const started = performance.now();
      const error = (await train(
        tiny(`fail-${how}`, {
          ...common,
          schedule: { steps: 6, epochs: 4, warmupEpochs: 0, milestones: [2] },
          distributed: { worldSize: 2, launcher: 'processes' },
          testing: { frozenBatchNorm: true, failRank: { rank: 1, step: 2, how } },
        }),
      ).then(
        () => new Error('expected a failure'),
        (caught: unknown) => caught,
      )) as Error & { code: string };
      // Liveness, not speed: without the takedown the other rank would wait for its collective's 10-minute watchdog.
      expect((performance.now() - started) / 1000).toBeLessThan(60);
      if (how === 'throw') {
        expect(error).toMatchObject({ code: 'INJECTED_FAILURE', message: expect.stringMatching(/^rank 1 of 2: testing.failRank: rank 1 fails at step 2/) });
      } else {
        // The rank left a note as it exited (its socket's close can race with the others' when mpirun kills them).
        expect(error).toMatchObject({
          code: 'RANK_FAILED',
          message: expect.stringMatching(/^rank 1 of 2 \(a process under mpirun\) exited with code 3 without reporting an error/),
        });
      }
      expect(spawnSync('pgrep', ['-f', 'rank-process.js'], { encoding: 'utf8' }).stdout.trim()).toBe('');
    },
    120_000,
  );
});
