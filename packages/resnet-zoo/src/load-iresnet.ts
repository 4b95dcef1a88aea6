import { BigFaceError, assertArgument, loadSafetensors, type SafetensorsTensor } from '@bigface/backend';
import { IResNet } from './iresnet';
import { resolveIResNetConfig, type IResNetConfig } from './resolve-iresnet-config';

/** Options of {@link loadIResNet}. */
export interface LoadIResNetOptions {
  /**
   * Input height and width, needed only when the checkpoint carries no BigFace metadata and its FC
   * does not see a 7x7 map (insightface's 112x112 default).
   */
  inputSize?: number | readonly [number, number];
  /** Dropout probability for training (a checkpoint does not record it; default: the metadata's, else 0). */
  dropout?: number;
}

/**
 * Loads an IResNet from a safetensors file with PyTorch `state_dict` names — one written by
 * {@link saveIResNet}, or an insightface checkpoint converted with
 * `safetensors.torch.save_file(torch.load('backbone.pth'), 'backbone.safetensors')`. The
 * architecture comes from the metadata when present, otherwise it is read off the tensors: blocks
 * per stage from the `layerS.B.` names, widths from the conv shapes, the embedding size from `fc`.
 *
 * @example
 * import { loadIResNet } from '@bigface/resnet-zoo';
 * const model = loadIResNet('ms1mv3_arcface_r100.safetensors');
 * model.config.layers; // [3, 13, 30, 3]
 */
export function loadIResNet(path: string, options: LoadIResNetOptions = {}): IResNet {
  const file = loadSafetensors(path);
  const config = architectureOf(file.tensors, file.metadata, path, options);
  const model = IResNet.create(config);
  try {
    model.loadStateDict(file.tensors);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

function architectureOf(tensors: Map<string, SafetensorsTensor>, metadata: Record<string, string>, path: string, options: LoadIResNetOptions): IResNetConfig {
  const fromMetadata = metadata['bigface.architecture'];
  if (fromMetadata) {
    const saved = JSON.parse(fromMetadata) as {
      layers: number[];
      stemWidth: number;
      widths: number[];
      embeddingSize: number;
      dropout: number;
      inputSize: [number, number];
    };
    const config = resolveIResNetConfig({
      layers: saved.layers,
      widthMultiplier: saved.stemWidth / 64,
      embeddingSize: saved.embeddingSize,
      dropout: options.dropout ?? saved.dropout,
      inputSize: options.inputSize ?? saved.inputSize,
    });
    return config;
  }
  const shape = (name: string): number[] => {
    const tensor = tensors.get(name);
    if (!tensor) {
      throw new BigFaceError('STATE_DICT_MISMATCH', `loadIResNet: '${path}' has no '${name}': is it an insightface IResNet state_dict?`);
    }
    return tensor.shape;
  };
  const layers = [1, 2, 3, 4].map((stage) => {
    let blocks = 0;
    while (tensors.has(`layer${stage}.${blocks}.conv1.weight`)) blocks++;
    return blocks;
  });
  const stemWidth = shape('conv1.weight')[0]!;
  const widths = [1, 2, 3, 4].map((stage) => shape(`layer${stage}.0.conv1.weight`)[0]!);
  const [embeddingSize, fcInputs] = shape('fc.weight') as [number, number];
  const spatial = fcInputs / widths[3]!;
  const inputSize = options.inputSize ?? (spatial === 49 ? 112 : undefined);
  assertArgument(
    inputSize !== undefined,
    'STATE_DICT_MISMATCH',
    () => `loadIResNet: '${path}' has an FC over ${spatial} positions (not 7x7 = 112x112 input): pass {inputSize: [height, width]}`,
  );
  const config = resolveIResNetConfig({ layers, widthMultiplier: stemWidth / 64, embeddingSize, dropout: options.dropout ?? 0, inputSize });
  assertArgument(
    config.stemWidth === stemWidth && config.widths.every((w, i) => w === widths[i]),
    'STATE_DICT_MISMATCH',
    () => `loadIResNet: '${path}' has stem ${stemWidth} and widths [${widths.join(', ')}], which are not 64/64/128/256/512 times one multiplier`,
  );
  return config;
}
