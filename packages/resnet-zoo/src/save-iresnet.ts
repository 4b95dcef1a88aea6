import { saveSafetensors } from '@bigface/backend';
import type { IResNet } from './iresnet';

/**
 * Saves the weights and running statistics as safetensors with PyTorch's `state_dict` names and
 * layouts (so `model.load_state_dict(safetensors.torch.load_file(path))` works on insightface's
 * `iresnet.py`), atomically. The architecture goes into the metadata (`bigface.architecture`)
 * so {@link loadIResNet} can rebuild the model.
 *
 * @example
 * import { IResNet, saveIResNet, loadIResNet } from '@bigface/resnet-zoo';
 * saveIResNet(model, 'backbone.safetensors', { step: '1000' });
 * const again = loadIResNet('backbone.safetensors');
 */
export function saveIResNet(model: IResNet, path: string, metadata: Record<string, string> = {}): void {
  const { config } = model;
  const architecture = {
    layers: config.layers,
    stemWidth: config.stemWidth,
    widths: config.widths,
    embeddingSize: config.embeddingSize,
    dropout: config.dropout,
    inputSize: [config.inputHeight, config.inputWidth],
    name: config.name,
  };
  saveSafetensors(path, model.toStateDict(), { format: 'pt', ...metadata, 'bigface.architecture': JSON.stringify(architecture) });
}
