import { resolveIResNetConfig, type IResNetOptions } from '@bigface/resnet-zoo';

/** Activation elements kept for backward, per image, of one IResNet (see {@link planActivations}). */
export interface ActivationPlan {
  /** The input image: 3·H·W. */
  input: number;
  /** Stem conv, BN, PReLU outputs: 3·S·H·W. */
  stem: number;
  /** Per stage, per block: everything the block keeps. */
  blocks: number[][];
  /** Per stage, per block: the block's input (the boundary a block checkpoint keeps). */
  blockInputs: number[][];
  /** Head BN2d over the last feature map, FC output and BN1d output: C4·h·w + 2·D. */
  head: number;
  /** Last stage's output (the boundary kept before the head). */
  lastOutput: number;
  /** Without checkpointing: input + stem + Σ blocks + head. */
  none: number;
  /** Per-stage checkpointing: input + stem + head + Σ stage inputs + last output + the largest stage. */
  stage: number;
  /** Per-block checkpointing: input + stem + head + Σ block inputs + last output + the largest block. */
  block: number;
}

function convOutput(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/**
 * Counts, from the resnet-zoo architecture alone, the activation elements one image keeps from
 * forward to backward in fp32 training (a lower bound: the transient buffers of backward are not
 * counted). An insightface IBasicBlock with input C_in×h×w and output C_out×h'×w' keeps
 *
 *   BN1 out C_in·h·w + (conv1, BN2, PReLU outs) 3·C_out·h·w + (conv2, BN3, add outs) 3·C_out·h'·w'
 *   + (1×1 downsample conv and its BN, first block of a stage) 2·C_out·h'·w',
 *
 * the stem (conv3×3 stride 1 + BN + PReLU) keeps 3·S·H·W, the input 3·H·W, and the head
 * (BN2d → flatten → FC → BN1d) C4·h4·w4 + 2·D. With checkpointing a segment (stage or block) keeps
 * only its input, and backward recomputes one segment at a time: boundaries + the largest segment.
 *
 * @example
 * planActivations({ layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64, inputSize: 16 }).none; // 51840
 */
export function planActivations(architecture: string | IResNetOptions): ActivationPlan {
  const config = resolveIResNetConfig(architecture);
  let height = config.inputHeight;
  let width = config.inputWidth;
  const input = 3 * height * width;
  const stem = 3 * config.stemWidth * height * width;
  let channels = config.stemWidth;
  const blocks: number[][] = [];
  const blockInputs: number[][] = [];
  for (let stage = 0; stage < 4; stage++) {
    const out = config.widths[stage]!;
    const stageBlocks: number[] = [];
    const stageInputs: number[] = [];
    for (let b = 0; b < config.layers[stage]!; b++) {
      const stride = b === 0 ? 2 : 1;
      const nextHeight = convOutput(height, 3, stride, 1);
      const nextWidth = convOutput(width, 3, stride, 1);
      const downsample = b === 0 ? 2 : 0;
      stageInputs.push(channels * height * width);
      stageBlocks.push(channels * height * width + 3 * out * height * width + (3 + downsample) * out * nextHeight * nextWidth);
      channels = out;
      height = nextHeight;
      width = nextWidth;
    }
    blocks.push(stageBlocks);
    blockInputs.push(stageInputs);
  }
  const lastOutput = channels * height * width;
  const head = lastOutput + 2 * config.embeddingSize;
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const base = input + stem + head;
  const stageTotals = blocks.map(sum);
  return {
    input,
    stem,
    blocks,
    blockInputs,
    head,
    lastOutput,
    none: base + sum(stageTotals),
    stage: base + sum(blockInputs.map((inputs) => inputs[0]!)) + lastOutput + Math.max(...stageTotals),
    block: base + sum(blockInputs.flat()) + lastOutput + Math.max(...blocks.flat()),
  };
}
