import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BigFaceError, loadSafetensors, saveSafetensors, tf } from '@bigface/backend';
import type { PartialFC } from './partial-fc';

const FILE_PATTERN = /^(.+)\.rank-(\d+)-of-(\d+)\.safetensors$/;

/**
 * Saves this rank's centre shard (and any row-sharded companions, e.g. the optimizer's momentum
 * of the centres) to `${directory}/${name}.rank-${r}-of-${W}.safetensors`, atomically. Every rank
 * calls it; together the files hold the whole classifier.
 *
 * @example
 * savePartialFCShard(head, 'checkpoints/step-1000', { momentum: optimizerMomentumOfCentres });
 */
export function savePartialFCShard(head: PartialFC, directory: string, companions: Record<string, tf.Tensor> = {}): string {
  const { rank, worldSize } = head.communicator;
  const path = join(directory, `${head.name}.rank-${rank}-of-${worldSize}.safetensors`);
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {
    weight: { dtype: 'F32', shape: head.weight.shape, data: head.weight.dataSync() as Float32Array },
  };
  for (const [name, tensor] of Object.entries(companions)) {
    if (tensor.shape[0] !== head.shard.count) {
      throw new BigFaceError(
        'INVALID_ARGUMENT',
        `savePartialFCShard: companion '${name}' has ${tensor.shape[0]} rows; it must be row-sharded like the centres (${head.shard.count} rows)`,
      );
    }
    tensors[name] = { dtype: 'F32', shape: tensor.shape, data: tensor.dataSync() as Float32Array };
  }
  saveSafetensors(path, tensors, {
    format: 'bigface-partial-fc',
    numClasses: String(head.numClasses),
    embeddingSize: String(head.embeddingSize),
    worldSize: String(worldSize),
    rank: String(rank),
    start: String(head.shard.start),
    count: String(head.shard.count),
    step: String(head.currentStep),
  });
  return path;
}

/**
 * Loads this rank's shard from files written by {@link savePartialFCShard} with ANY world size:
 * the rows this rank owns now are assembled from whichever saved shards hold them (resharding).
 * Assigns the centres and returns the companions as tensors [C_r, ...] (the caller owns them).
 */
export function loadPartialFCShard(head: PartialFC, directory: string): Record<string, tf.Tensor> {
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch (error) {
    throw new BigFaceError('CHECKPOINT_NOT_FOUND', `loadPartialFCShard: cannot read directory '${directory}'`, { cause: error });
  }
  const files = entries
    .map((file) => ({ file, match: FILE_PATTERN.exec(file) }))
    .filter((entry) => entry.match && entry.match[1] === head.name)
    .map((entry) => ({ file: entry.file, rank: Number(entry.match![2]), worldSize: Number(entry.match![3]) }));
  const worldSizes = new Set(files.map((f) => f.worldSize));
  if (files.length === 0 || worldSizes.size !== 1) {
    throw new BigFaceError(
      'CHECKPOINT_INCOMPLETE',
      files.length === 0
        ? `loadPartialFCShard: no '${head.name}.rank-*-of-*.safetensors' files in '${directory}'`
        : `loadPartialFCShard: '${directory}' mixes shards of world sizes ${[...worldSizes].join(', ')}; keep one checkpoint per directory`,
    );
  }
  const savedWorldSize = files[0]!.worldSize;
  if (files.length !== savedWorldSize) {
    const have = new Set(files.map((f) => f.rank));
    const missing = Array.from({ length: savedWorldSize }, (_, r) => r).filter((r) => !have.has(r));
    throw new BigFaceError(
      'CHECKPOINT_INCOMPLETE',
      `loadPartialFCShard: '${directory}' lacks the shards of ranks ${missing.join(', ')} (of ${savedWorldSize})`,
    );
  }
  const { start, count } = head.shard;
  const D = head.embeddingSize;
  const assembled = new Map<string, { shape: number[]; data: Float32Array; rowSize: number; rows: number }>();
  let step = 0;
  for (const { file } of files) {
    const path = join(directory, file);
    const { tensors, metadata } = loadSafetensors(path);
    if (Number(metadata.numClasses) !== head.numClasses || Number(metadata.embeddingSize) !== D) {
      throw new BigFaceError(
        'CHECKPOINT_MISMATCH',
        `loadPartialFCShard: '${path}' holds ${metadata.numClasses} classes × ${metadata.embeddingSize}; this PartialFC has ${head.numClasses} × ${D}`,
      );
    }
    step = Number(metadata.step ?? 0);
    const savedStart = Number(metadata.start);
    const savedCount = Number(metadata.count);
    const from = Math.max(start, savedStart);
    const to = Math.min(start + count, savedStart + savedCount);
    if (from >= to) continue;
    for (const [name, tensor] of tensors) {
      const rowSize = tensor.shape.slice(1).reduce((a: number, b: number) => a * b, 1);
      let target = assembled.get(name);
      if (!target) {
        target = { shape: [count, ...tensor.shape.slice(1)], data: new Float32Array(count * rowSize), rowSize, rows: 0 };
        assembled.set(name, target);
      }
      const source = tensor.data as Float32Array;
      target.data.set(source.subarray((from - savedStart) * rowSize, (to - savedStart) * rowSize), (from - start) * rowSize);
      target.rows += to - from;
    }
  }
  // A tensor some shards lack would leave this rank's rows from them at zero: refuse it.
  const partial = [...assembled].filter(([, value]) => value.rows !== count).map(([name]) => name);
  if (partial.length > 0) {
    throw new BigFaceError(
      'CHECKPOINT_INCOMPLETE',
      `loadPartialFCShard: '${partial.join("', '")}' is missing from some shards in '${directory}' (rows ${start}..${start + count - 1} are not all covered)`,
    );
  }
  const weight = assembled.get('weight');
  if (!weight) throw new BigFaceError('CHECKPOINT_INCOMPLETE', `loadPartialFCShard: no 'weight' tensor in the shards of '${directory}'`);
  tf.tidy(() => head.weight.assign(tf.tensor2d(weight.data, [count, D])));
  head.currentStep = step;
  const companions: Record<string, tf.Tensor> = {};
  for (const [name, value] of assembled) if (name !== 'weight') companions[name] = tf.tensor(value.data, value.shape);
  return companions;
}
