import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend';
import { loadIResNet, type IResNet, type LoadIResNetOptions } from '@bigface/resnet-zoo';
import { latestCheckpoint } from './checkpoint-files';

/**
 * The backbone file a path designates: a run directory (its latest checkpoint), a checkpoint
 * directory, or a `.safetensors` file.
 *
 * @example
 * resolveBackbonePath('runs/synth-r18'); // runs/synth-r18/checkpoints/step-00000200/backbone.safetensors
 */
export function resolveBackbonePath(location: string): string {
  const resolved = path.resolve(location);
  if (!existsSync(resolved))
    throw new BigFaceError(
      'CHECKPOINT_NOT_FOUND',
      `'${location}' does not exist; give a run directory, a checkpoint directory or a backbone .safetensors file`,
    );
  if (!statSync(resolved).isDirectory()) return resolved;
  const direct = path.join(resolved, 'backbone.safetensors');
  if (existsSync(direct)) return direct;
  const latest = latestCheckpoint(resolved);
  if (latest !== null) return path.join(latest, 'backbone.safetensors');
  throw new BigFaceError(
    'CHECKPOINT_NOT_FOUND',
    `'${location}' holds neither backbone.safetensors nor checkpoints/latest.json; is it a @bigface/train run directory?`,
  );
}

/**
 * Loads a trained backbone (an `IResNet` from @bigface/resnet-zoo, running statistics included)
 * from a run directory (its latest checkpoint), a checkpoint directory or a backbone file. The
 * backend must be initialised. The caller disposes the model.
 *
 * @example
 * import { initBackend, tf } from '@bigface/backend';
 * import { loadTrainedBackbone } from '@bigface/train';
 * await initBackend();
 * const model = loadTrainedBackbone('runs/synth-r18');
 * const embeddings = model.forward(images); // eval mode: [B, embeddingSize]
 */
export function loadTrainedBackbone(location: string, options: LoadIResNetOptions = {}): IResNet {
  return loadIResNet(resolveBackbonePath(location), options);
}
