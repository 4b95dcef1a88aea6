// Shared by the train tests: a tiny synth configuration and weight comparisons.
import path from 'node:path';
import { loadSafetensors } from '@bigface/backend';
import type { TrainConfigInput } from '@bigface/train';

/** A tiny synth run under `root` (3 steps of 8 images, 32 px, widths 16–128, 16-d). */
export function tinyConfig(root: string, cacheDir: string) {
  return (name: string, overrides: Partial<TrainConfigInput> = {}): TrainConfigInput =>
    ({
      outputDir: path.join(root, name),
      seed: 3,
      backend: 'wasm',
      data: { source: 'synth', identities: 6, imagesPerIdentity: 4, imageSize: 32, cacheDir },
      model: { layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 16 },
      loss: { s: 16, m: 0.3 },
      batch: { perRank: 8 },
      optimizer: { lr: 0.5 },
      schedule: { steps: 3, epochs: 2, warmupEpochs: 0, milestones: [1] },
      checkpoint: { everySteps: 2 },
      evaluation: { heldOutIdentities: 0 },
      ...overrides,
    }) as TrainConfigInput;
}

/** The backbone weights of a checkpoint directory, by PyTorch name. */
export function backboneOf(directory: string): Map<string, Float32Array> {
  const file = loadSafetensors(path.join(directory, 'backbone.safetensors'));
  return new Map([...file.tensors].map(([name, tensor]) => [name, tensor.data as Float32Array]));
}

/** Largest |a − b| over all tensors, relative to each tensor's largest |b|. */
export function maxRelativeDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    let scale = 1e-6;
    for (const v of y) scale = Math.max(scale, Math.abs(v));
    for (let k = 0; k < x.length; k++) worst = Math.max(worst, Math.abs(x[k]! - y[k]!) / scale);
  }
  return worst;
}
