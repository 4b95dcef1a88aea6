import { BigFaceError, assertArgument } from '@bigface/backend';
import { BACKBONES, type BackboneName } from './backbone-registry';

/** How to build an IResNet: a zoo name and/or explicit overrides. */
export interface IResNetOptions {
  /** A name from {@link BACKBONES} (default `r50` when `layers` is not given). */
  backbone?: BackboneName | string;
  /** Blocks per stage; overrides the backbone's. Four positive integers. */
  layers?: readonly number[];
  /** Size of the output embedding (default 512). */
  embeddingSize?: number;
  /** Dropout probability before the FC, active in training mode only (default 0, as insightface). */
  dropout?: number;
  /** Multiplies every width (stem 64, stages 64/128/256/512); 0.25 gives 16/32/64/128 (default 1). */
  widthMultiplier?: number;
  /** Input height and width in pixels (default 112, as insightface). */
  inputSize?: number | readonly [number, number];
}

/** A fully resolved architecture: everything needed to build, count or export the network. */
export interface IResNetConfig {
  /** The zoo name, or `custom` for explicit layers. */
  readonly name: string;
  readonly layers: readonly number[];
  readonly stemWidth: number;
  readonly widths: readonly number[];
  readonly embeddingSize: number;
  readonly dropout: number;
  readonly inputHeight: number;
  readonly inputWidth: number;
  /** Spatial size after the four stride-2 stages: the FC sees `widths[3] * finalHeight * finalWidth` features. */
  readonly finalHeight: number;
  readonly finalWidth: number;
  /** BatchNorm epsilon (1e-5) and running-average momentum (0.1), as PyTorch. */
  readonly batchNormEpsilon: number;
  readonly batchNormMomentum: number;
}

const BASE_WIDTHS = [64, 128, 256, 512] as const;

/** Output size of a PyTorch conv with kernel k, stride s, padding p. */
function convOutput(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/**
 * Resolves a zoo name or options into a complete {@link IResNetConfig}. Throws `UNKNOWN_BACKBONE`
 * (listing the valid names) or `INVALID_ARCHITECTURE`.
 *
 * @example
 * import { resolveIResNetConfig } from '@bigface/resnet-zoo';
 * resolveIResNetConfig('r100').layers;                                  // [3, 13, 30, 3]
 * resolveIResNetConfig({ layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64 }).widths; // [16, 32, 64, 128]
 */
export function resolveIResNetConfig(nameOrOptions: string | IResNetOptions = {}): IResNetConfig {
  const options: IResNetOptions = typeof nameOrOptions === 'string' ? { backbone: nameOrOptions } : nameOrOptions;
  let name = 'custom';
  let layers: readonly number[] | undefined = options.layers;
  if (options.backbone !== undefined || layers === undefined) {
    const backbone = options.backbone ?? 'r50';
    if (!Object.hasOwn(BACKBONES, backbone)) {
      throw new BigFaceError(
        'UNKNOWN_BACKBONE',
        `unknown backbone '${backbone}': choose one of ${Object.keys(BACKBONES).join(', ')}, or pass layers: [a, b, c, d]`,
      );
    }
    if (layers === undefined) {
      layers = BACKBONES[backbone as BackboneName].layers;
      name = backbone;
    }
  }
  assertArgument(
    layers.length === 4 && layers.every((n) => Number.isInteger(n) && n >= 1),
    'INVALID_ARCHITECTURE',
    () => `IResNet: layers must be four positive integers (blocks per stage), got [${layers.join(', ')}]`,
  );
  const embeddingSize = options.embeddingSize ?? 512;
  assertArgument(
    Number.isInteger(embeddingSize) && embeddingSize >= 1,
    'INVALID_ARCHITECTURE',
    () => `IResNet: embeddingSize must be a positive integer, got ${embeddingSize}`,
  );
  const dropout = options.dropout ?? 0;
  assertArgument(dropout >= 0 && dropout < 1, 'INVALID_ARCHITECTURE', () => `IResNet: dropout must be in [0, 1), got ${dropout}`);
  const multiplier = options.widthMultiplier ?? 1;
  assertArgument(
    multiplier > 0 && Math.round(64 * multiplier) >= 1,
    'INVALID_ARCHITECTURE',
    () => `IResNet: widthMultiplier must be positive and leave at least one channel, got ${multiplier}`,
  );
  const size = options.inputSize ?? 112;
  const [inputHeight, inputWidth] = typeof size === 'number' ? [size, size] : size;
  assertArgument(
    Number.isInteger(inputHeight) && Number.isInteger(inputWidth) && inputHeight >= 1 && inputWidth >= 1,
    'INVALID_ARCHITECTURE',
    () => `IResNet: inputSize must be positive integers, got ${String(size)}`,
  );
  let finalHeight = inputHeight;
  let finalWidth = inputWidth;
  for (let stage = 0; stage < 4; stage++) {
    finalHeight = convOutput(finalHeight, 3, 2, 1);
    finalWidth = convOutput(finalWidth, 3, 2, 1);
  }
  return {
    name,
    layers: [...layers],
    stemWidth: Math.round(64 * multiplier),
    widths: BASE_WIDTHS.map((w) => Math.max(1, Math.round(w * multiplier))),
    embeddingSize,
    dropout,
    inputHeight,
    inputWidth,
    finalHeight,
    finalWidth,
    batchNormEpsilon: 1e-5,
    batchNormMomentum: 0.1,
  };
}
