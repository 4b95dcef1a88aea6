import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BigFaceError, loadSafetensors, saveSafetensors, tf, writeFileAtomic, type Communicator, type RngState } from '@bigface/backend';
import type { TrainingOptimizer } from './training-optimizer';
import { loadPartialFCShard, savePartialFCShard, type PartialFC } from '@bigface/partial-fc';
import { saveIResNet, type IResNet } from '@bigface/resnet-zoo';
import type { TrainConfig } from './config';

/** `state.json` of a checkpoint: written last, so a directory without it is incomplete. */
export interface CheckpointState {
  format: 'bigface-train-checkpoint/1';
  /** Optimizer steps done. */
  step: number;
  /** Where the sampler continues (`offset`: samples of the epoch consumed before `step`, after a resume at another global batch). */
  position: { epoch: number; step: number; offset?: number };
  rng: RngState;
  partialFCStep: number;
  optimizerIterations: number;
  worldSize: number;
  /** Images per step over all ranks when written (absent before 0.1: batch.perRank × worldSize). */
  globalBatch?: number;
  /** Classes of the PartialFC head (absent in older checkpoints). */
  numClasses?: number;
  config: TrainConfig;
  savedAt: string;
}

const CHECKPOINTS = 'checkpoints';
const LATEST = 'latest.json';

/**
 * The checkpoint directory of `step` in run directory `outputDir`.
 *
 * @example
 * checkpointDirectory('runs/a', 200); // runs/a/checkpoints/step-00000200
 */
export function checkpointDirectory(outputDir: string, step: number): string {
  return path.join(outputDir, CHECKPOINTS, `step-${String(step).padStart(8, '0')}`);
}

/**
 * The latest complete checkpoint of a run directory (from `checkpoints/latest.json`), or null.
 *
 * @example
 * const directory = latestCheckpoint('runs/a'); // runs/a/checkpoints/step-00000200, or null
 */
export function latestCheckpoint(outputDir: string): string | null {
  const pointer = path.join(outputDir, CHECKPOINTS, LATEST);
  if (!existsSync(pointer)) return null;
  const { directory } = JSON.parse(readFileSync(pointer, 'utf8')) as { directory: string };
  const resolved = path.resolve(outputDir, CHECKPOINTS, directory);
  if (!existsSync(path.join(resolved, 'state.json'))) {
    throw new BigFaceError('CHECKPOINT_INCOMPLETE', `${pointer} points to '${resolved}', which has no state.json; remove the pointer to start over`);
  }
  return resolved;
}

/**
 * Reads a checkpoint's `state.json` (step, sampler position, RNG state, config).
 *
 * @example
 * readCheckpointState(latestCheckpoint('runs/a')!).step; // 200
 */
export function readCheckpointState(directory: string): CheckpointState {
  const file = path.join(directory, 'state.json');
  if (!existsSync(file))
    throw new BigFaceError('CHECKPOINT_NOT_FOUND', `checkpoint '${directory}' has no state.json; it is not a complete @bigface/train checkpoint`);
  return JSON.parse(readFileSync(file, 'utf8')) as CheckpointState;
}

/** What a checkpoint holds the state of (a {@link Trainer}'s parts). */
export interface CheckpointParts {
  backbone: IResNet;
  head: PartialFC;
  optimizer: TrainingOptimizer;
  communicator: Communicator;
}

/** Backbone momentum keyed by PyTorch state-dict name (tfjs variable names carry a per-process prefix). */
function stateDictNames(model: IResNet): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, variable] of model.variables) names.set(variable.name, name);
  return names;
}

/**
 * Writes one checkpoint (collective: every rank calls it): each rank its PartialFC shard with the
 * shard's momentum, rank 0 the backbone (safetensors, PyTorch names), the backbone's optimizer
 * state and, last, `state.json`; then rank 0 points `checkpoints/latest.json` at it and removes
 * all but the newest `keepLast`. Every file is written atomically (temporary file, fsync, rename),
 * so a run killed at any moment leaves the previous checkpoint intact and reachable.
 */
export async function saveCheckpoint(
  outputDir: string,
  parts: CheckpointParts,
  state: Omit<CheckpointState, 'format' | 'savedAt'>,
  keepLast: number,
): Promise<string> {
  const { optimizer, communicator } = parts;
  const directory = checkpointDirectory(outputDir, state.step);
  if (communicator.rank === 0) mkdirSync(directory, { recursive: true });
  communicator.barrier();
  const weights = await optimizer.getWeights();
  try {
    writeShardAndBackbone(directory, parts, weights, state);
  } finally {
    tf.dispose(weights.map((entry) => entry.tensor));
  }
  communicator.barrier();
  if (communicator.rank === 0) {
    writeFileAtomic(
      path.join(outputDir, CHECKPOINTS, LATEST),
      new TextEncoder().encode(`${JSON.stringify({ step: state.step, directory: path.basename(directory) })}\n`),
    );
    const all = readdirSync(path.join(outputDir, CHECKPOINTS))
      .filter((name) => /^step-\d+$/.test(name))
      .sort();
    for (const old of all.slice(0, Math.max(0, all.length - keepLast))) rmSync(path.join(outputDir, CHECKPOINTS, old), { recursive: true, force: true });
  }
  return directory;
}

/** This rank's PartialFC shard (+ momentum); on rank 0 also the backbone, its momentum and, last, state.json. */
function writeShardAndBackbone(
  directory: string,
  parts: CheckpointParts,
  weights: { name: string; tensor: tf.Tensor }[],
  state: Omit<CheckpointState, 'format' | 'savedAt'>,
): void {
  const { backbone: model, head, communicator } = parts;
  const byName = new Map(weights.slice(1).map((entry) => [entry.name, entry.tensor]));
  const headMomentum = byName.get(`${head.weight.name}/momentum`);
  savePartialFCShard(head, directory, headMomentum ? { momentum: headMomentum } : {});
  if (communicator.rank === 0) {
    saveIResNet(model, path.join(directory, 'backbone.safetensors'), { step: String(state.step) });
    const names = stateDictNames(model);
    const optimizerTensors = new Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>();
    for (const [variableName, stateName] of names) {
      const momentum = byName.get(`${variableName}/momentum`);
      if (momentum) optimizerTensors.set(`${stateName}/momentum`, { dtype: 'F32', shape: momentum.shape, data: momentum.dataSync() as Float32Array });
    }
    saveSafetensors(path.join(directory, 'optimizer.safetensors'), optimizerTensors, { iterations: String(state.optimizerIterations) });
    const full: CheckpointState = { format: 'bigface-train-checkpoint/1', ...state, savedAt: new Date().toISOString() };
    writeFileAtomic(path.join(directory, 'state.json'), new TextEncoder().encode(`${JSON.stringify(full, null, 2)}\n`));
  }
}

/** Restores backbone, PartialFC shard and optimizer state from a checkpoint (collective). */
export async function loadCheckpoint(directory: string, parts: CheckpointParts): Promise<CheckpointState> {
  const { backbone: model, head, optimizer } = parts;
  const state = readCheckpointState(directory);
  model.loadStateDict(loadSafetensors(path.join(directory, 'backbone.safetensors')).tensors);
  const companions = loadPartialFCShard(head, directory);
  const optimizerFile = loadSafetensors(path.join(directory, 'optimizer.safetensors'));
  const owned: tf.Tensor[] = Object.values(companions);
  const weights: { name: string; tensor: tf.Tensor }[] = [{ name: 'iter', tensor: tf.scalar(state.optimizerIterations, 'int32') }];
  owned.push(weights[0]!.tensor);
  const missing: string[] = [];
  for (const variable of model.trainableVariables()) {
    const stateName = stateDictNames(model).get(variable.name)!;
    const saved = optimizerFile.tensors.get(`${stateName}/momentum`);
    if (!saved) {
      missing.push(`${stateName}/momentum`);
      continue;
    }
    const tensor = tf.tensor(saved.data as Float32Array, saved.shape, 'float32');
    owned.push(tensor);
    weights.push({ name: `${variable.name}/momentum`, tensor });
  }
  if (companions.momentum) weights.push({ name: `${head.weight.name}/momentum`, tensor: companions.momentum });
  else missing.push(`${head.name} momentum`);
  // Before the first step nothing has a momentum yet; after it, everything must (a missing one would restart at zero).
  if (state.optimizerIterations > 0 && missing.length > 0) {
    tf.dispose(owned);
    throw new BigFaceError(
      'CHECKPOINT_INCOMPLETE',
      `checkpoint '${directory}' (step ${state.step}) lacks the LARS momentum of ${missing.length} parameter(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}; resume from an intact checkpoint`,
    );
  }
  await optimizer.setWeights(state.optimizerIterations > 0 ? weights : weights.slice(0, 1));
  tf.dispose(owned);
  head.currentStep = state.partialFCStep;
  return state;
}
