import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend, tf } from '@bigface/backend';
import { buildTeacherCache, latestCheckpoint, loadTrainedBackbone, train, type TrainEvent } from '@bigface/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backboneOf, maxRelativeDifference, tinyConfig } from './support';

const root = mkdtempSync(path.join(tmpdir(), 'bigface-train-'));
const cacheDir = path.join(root, 'cache');

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tiny = tinyConfig(root, cacheDir);

describe('train', () => {
  it('stops on a non-finite loss naming the step, keeps the last good checkpoint and writes no poisoned one', async () => {
    const config = tiny('nan', { schedule: { steps: 6, epochs: 2, warmupEpochs: 0, milestones: [1] }, testing: { injectNonFiniteAtStep: 5 } });
    const error = (await train(config).then(
      () => new Error('expected NON_FINITE_LOSS'),
      (caught: unknown) => caught,
    )) as Error & { code: string };
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('NON_FINITE_LOSS');
    // The injected fault multiplies the differentiated loss by NaN: the gradients are NaN.
    expect(error.message).toMatch(/^step 5: a gradient is NaN\/Inf \(loss [0-9.]+\); training stopped before updating the weights/);
    expect(error.message).toContain('step-00000004');
    const outputDir = path.join(root, 'nan');
    expect(latestCheckpoint(outputDir)).toBe(path.join(outputDir, 'checkpoints', 'step-00000004'));
    expect(readdirSync(path.join(outputDir, 'checkpoints')).filter((n) => n.startsWith('step-'))).toEqual(['step-00000002', 'step-00000004']);
    for (const values of backboneOf(latestCheckpoint(outputDir)!).values()) expect(values.every(Number.isFinite)).toBe(true);
    const steps = readFileSync(path.join(outputDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(steps.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(steps[0])).toEqual(expect.arrayContaining(['loss', 'accuracy', 'lr', 'imagesPerSecond', 'memory']));
  });

  it('catches a real divergence too (lr 1e37: the weights overflow after one step)', async () => {
    const config = tiny('diverge', {
      optimizer: { lr: 1e37 },
      schedule: { steps: 4, epochs: 2, warmupEpochs: 0, milestones: [1] },
      checkpoint: { everySteps: 1 },
    });
    await expect(train(config)).rejects.toMatchObject({ code: 'NON_FINITE_LOSS', message: expect.stringMatching(/^step 2: /) });
    expect(path.basename(latestCheckpoint(path.join(root, 'diverge'))!)).toBe('step-00000001');
  });

  it('W = 2 worker-thread ranks and 2 micro-batches equal W = 1 with one batch (eval-mode BatchNorm)', async () => {
    // Same global batch of 8 either way (sampler positions 0..7 split r, r+W), same per-sample
    // augmentation; PartialFC shards and the LARS norms of the sharded centres are reduced across
    // ranks; backbone gradients are summed. Only float summation order differs.
    const single = await train(tiny('w1', { testing: { frozenBatchNorm: true } }));
    const micro = await train(tiny('w1-micro', { batch: { perRank: 8, microBatches: 2 }, testing: { frozenBatchNorm: true } }));
    const events: TrainEvent[] = [];
    const sharded = await train(tiny('w2', { batch: { perRank: 4 }, distributed: { worldSize: 2 }, testing: { frozenBatchNorm: true } }), {
      onEvent: (event) => events.push(event),
    });
    const reference = backboneOf(single.finalCheckpoint);
    // The run did move the weights (otherwise equality would prove nothing).
    const initial = backboneOf(path.join(root, 'w1', 'checkpoints', 'step-00000002'));
    expect(maxRelativeDifference(initial, reference)).toBeGreaterThan(1e-3);
    expect(maxRelativeDifference(backboneOf(micro.finalCheckpoint), reference)).toBeLessThan(1e-4);
    // Seen: 1.5e-6 (micro) and 2.6e-6 (W = 2) after 3 steps; once 1.3e-4 for W = 2 (summation-order
    // noise grows through the steps), hence the looser bound for it.
    expect(maxRelativeDifference(backboneOf(sharded.finalCheckpoint), reference)).toBeLessThan(5e-4);
    expect(readdirSync(sharded.finalCheckpoint).sort()).toEqual([
      'backbone.safetensors',
      'optimizer.safetensors',
      'partial_fc.rank-0-of-2.safetensors',
      'partial_fc.rank-1-of-2.safetensors',
      'state.json',
    ]);
    expect(events.map((e) => e.type)).toEqual(['start', 'step', 'step', 'checkpoint', 'step', 'checkpoint', 'end']);
    const start = events[0] as Extract<TrainEvent, { type: 'start' }>;
    // Linear scaling: 0.5 · 8 / 256.
    expect(start.scaledLearningRate).toBeCloseTo(0.015625, 10);
    expect(start.globalBatch).toBe(8);
  });

  it('evaluates held-out identities on both protocols and loads the trained backbone back', async () => {
    const events: TrainEvent[] = [];
    const result = await train(tiny('eval', { evaluation: { everySteps: 2, heldOutIdentities: 3, pairs: 20, protocols: ['standard', 'masked'] } }), {
      onEvent: (event) => events.push(event),
    });
    expect(result.completed).toBe(true);
    // Every 2 steps and at the end (step 3).
    expect(result.evaluations.map((e) => e.step)).toEqual([2, 3]);
    const evaluation = result.evaluations[1];
    expect(evaluation!.summaries.map((s) => s.protocol)).toEqual(['standard', 'masked']);
    expect(evaluation!.reports.masked!.scores).toHaveLength(20);
    for (const summary of evaluation!.summaries) expect(summary.areaUnderRoc).toBeGreaterThanOrEqual(0);
    expect(existsSync(result.evaluationsPath)).toBe(true);
    expect(events.filter((e) => e.type === 'evaluation')).toHaveLength(2);
    expect(readFileSync(result.evaluationsPath, 'utf8').trim().split('\n')).toHaveLength(2);

    const model = loadTrainedBackbone(result.outputDir);
    // (Measured after loading: IResNet.create in @bigface/resnet-zoo keeps its initial-value tensors.)
    const before = tf.memory().numTensors;
    const saved = backboneOf(result.finalCheckpoint);
    const reloaded = model.toStateDict();
    for (const [name, values] of saved)
      expect(Buffer.compare(Buffer.from(reloaded.get(name)!.data.buffer), Buffer.from(values.buffer, values.byteOffset, values.byteLength)), name).toBe(0);
    const embedding = tf.tidy(() => model.forward(tf.zeros([2, 32, 32, 3])));
    expect(embedding.shape).toEqual([2, 16]);
    embedding.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('distils from a teacher run: λ·||s/|s| − t/|t|||² on every row, unlabeled rows included', async () => {
    const teacher = await train(
      tiny('teacher', {
        model: { layers: [1, 1, 1, 1], widthMultiplier: 0.5, embeddingSize: 16 },
        schedule: { steps: 1, epochs: 2, warmupEpochs: 0, milestones: [1] },
      }),
    );
    const steps: Extract<TrainEvent, { type: 'step' }>[] = [];
    await train(tiny('student', { distill: { teacher: { checkpoint: teacher.outputDir }, lambda: 9, unlabeledRatio: 0.25 } }), {
      onEvent: (event) => event.type === 'step' && steps.push(event),
    });
    // The same teacher through a cache of its embeddings (built once over the training images).
    const cachePath = path.join(root, 'teacher-cache.safetensors');
    const studentConfig = tiny('student-cached');
    await buildTeacherCache({ config: studentConfig, teacher: teacher.outputDir, path: cachePath });
    await train({ ...studentConfig, distill: { teacher: { cache: cachePath } } }, { onEvent: (event) => event.type === 'step' && steps.push(event) });
    expect(steps).toHaveLength(6);
    for (const step of steps) {
      // 9 · (2 − 2cos) lies in [0, 36]; the total is CE + that.
      expect(step.distillationLoss).toBeGreaterThan(0);
      expect(step.distillationLoss).toBeLessThan(36);
      expect(step.loss).toBeCloseTo(step.classificationLoss + step.distillationLoss!, 4);
    }
  });

  it('stops at a step boundary on abort, with a checkpoint, and refuses to overwrite a run', async () => {
    const controller = new AbortController();
    const result = await train(tiny('abort', { schedule: { steps: 6, epochs: 2, warmupEpochs: 0, milestones: [1] }, checkpoint: { everySteps: 0 } }), {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'step' && event.step === 2) controller.abort();
      },
    });
    expect(result.completed).toBe(false);
    expect(result.steps).toBe(2);
    expect(path.basename(result.finalCheckpoint)).toBe('step-00000002');
    await expect(train(tiny('abort'), { resume: false })).rejects.toMatchObject({ code: 'RUN_EXISTS' });
    await expect(train(tiny('abort', { seed: 4 }))).rejects.toMatchObject({ code: 'RESUME_CONFIG_CHANGED' });
  });
});
