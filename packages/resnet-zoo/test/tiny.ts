// Test helpers: tiny IResNets with non-trivial BatchNorm statistics.
import { Rng, tf } from '@bigface/backend';
import { IResNet } from '../src/iresnet';
import type { IResNetOptions } from '../src/resolve-iresnet-config';

/** Stem 8, widths 8/16/32/64, input 16x16 (final map 1x1), 16-d embedding. */
export const TINY: IResNetOptions = { layers: [2, 1, 1, 2], widthMultiplier: 0.125, inputSize: 16, embeddingSize: 16 };

/** A tiny model whose BN parameters and running statistics are random, so folding has work to do. */
export function tinyModel(seed = 1, options: IResNetOptions = TINY): IResNet {
  const model = IResNet.create(options, { seed });
  const rng = new Rng(seed + 1000);
  for (const [name, variable] of model.variables) {
    const size = variable.size;
    let data: Float32Array | undefined;
    if (name.endsWith('running_var')) data = Float32Array.from({ length: size }, () => rng.uniform(0.5, 2));
    else if (name.endsWith('running_mean') || name.endsWith('.bias')) data = Float32Array.from({ length: size }, () => rng.normal(0, 0.2));
    else if (name.endsWith('.weight') && variable.rank === 1 && !name.startsWith('features') && !name.includes('prelu')) {
      data = Float32Array.from({ length: size }, () => rng.uniform(0.5, 1.5));
    }
    if (data) tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
  }
  return model;
}

export function randomImages(batch: number, size: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(rng.fillNormal(new Float32Array(batch * size * size * 3)), [batch, size, size, 3]);
}
