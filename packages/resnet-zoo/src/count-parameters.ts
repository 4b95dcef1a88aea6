import type { IResNetConfig, IResNetOptions } from './resolve-iresnet-config';
import { iresnetStateDictSpec } from './state-dict-spec';

/**
 * Number of parameters, equal to PyTorch's `sum(p.numel() for p in model.parameters())` for the
 * insightface IResNet (running statistics are buffers and do not count; `features.weight`, fixed
 * at 1, does). Analytic: nothing is allocated.
 *
 * @example
 * import { countParameters } from '@bigface/resnet-zoo';
 * countParameters('r18');   // 24025600
 * countParameters('r1.2k'); // works without building the model
 */
export function countParameters(architecture: string | IResNetOptions | IResNetConfig): number {
  let total = 0;
  for (const entry of iresnetStateDictSpec(architecture)) {
    if (entry.kind === 'parameter') total += entry.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}
