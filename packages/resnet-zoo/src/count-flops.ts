import { resolveIResNetConfig, type IResNetConfig, type IResNetOptions } from './resolve-iresnet-config';
import { isResolved } from './state-dict-spec';

/** The cost of one forward pass of one image. */
export interface FlopCount {
  /** Multiply-accumulates of every conv and the FC. */
  multiplyAccumulates: number;
  /** `multiplyAccumulates / 1e9` (what ptflops, and some model zoos, print as "GFLOPs"). */
  gmacs: number;
  /**
   * `2 * multiplyAccumulates / 1e9`: floating-point operations in the strict sense, the convention of
   * e.g. Open Model Zoo's face-recognition-resnet100-arcface (24.2 GFLOPs for r100).
   */
  gflops: number;
}

/**
 * Analytic forward cost of an IResNet for one image at its input size (BN, PReLU and adds, under
 * 1% of the total, are not counted).
 *
 * @example
 * import { countFlops } from '@bigface/resnet-zoo';
 * countFlops('r100').gflops; // about 24.2 (12.1 GMACs)
 */
export function countFlops(architecture: string | IResNetOptions | IResNetConfig): FlopCount {
  const config = isResolved(architecture) ? architecture : resolveIResNetConfig(architecture);
  const out = (size: number, stride: number): number => Math.floor((size + 2 - 3) / stride) + 1;
  let height = config.inputHeight;
  let width = config.inputWidth;
  let inputs = config.stemWidth;
  let total = height * width * 3 * 9 * config.stemWidth;
  config.layers.forEach((blocks, stage) => {
    const planes = config.widths[stage]!;
    for (let block = 0; block < blocks; block++) {
      const stride = block === 0 ? 2 : 1;
      total += height * width * inputs * 9 * planes; // conv1, stride 1
      const nextHeight = out(height, stride);
      const nextWidth = out(width, stride);
      total += nextHeight * nextWidth * planes * 9 * planes; // conv2 carries the stride
      if (block === 0) total += nextHeight * nextWidth * inputs * planes; // 1x1 downsample
      height = nextHeight;
      width = nextWidth;
      inputs = planes;
    }
  });
  total += inputs * height * width * config.embeddingSize;
  return { multiplyAccumulates: total, gmacs: total / 1e9, gflops: (2 * total) / 1e9 };
}
