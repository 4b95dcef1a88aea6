import { BigFaceError } from '@bigface/backend/errors';
import type { CommandDefinition } from '../command';
import { PRESETS } from '../config/presets';
import { numberOption } from '../parse-command-arguments';
import type { MemoryBreakdown } from '@bigface/train';
import { formatBytes } from '../format-bytes';

const ROWS: [keyof MemoryBreakdown, string][] = [
  ['weights', 'weights (fp32)'],
  ['gradients', 'gradients'],
  ['optimizerState', 'optimizer state (LARS momentum)'],
  ['activations', 'activations'],
  ['partialFcShard', 'PartialFC shard (W + grad + momentum)'],
  ['logits', 'logits + grad (B·W × C/W)'],
  ['embeddings', 'gathered embeddings + grad'],
  ['total', 'total'],
];

function gpuMemory(parseByteSize: (text: string) => number, text: string): number {
  try {
    return parseByteSize(text);
  } catch (error) {
    throw new BigFaceError('USAGE_ERROR', `--gpu-memory: ${(error as Error).message}`);
  }
}

export const planCommand: CommandDefinition = {
  name: 'plan',
  summary: 'Memory per rank of data-parallel BigFace training (backbone replicated, class centres sharded), and the switches that make it fit.',
  usage: 'bigface plan --model r600 --classes 2059906 --gpus 64 --gpu-memory 32GiB --batch 256',
  options: {
    model: { type: 'string', value: '<name>', description: 'zoo backbone (r18 … r2060)' },
    preset: { type: 'string', value: '<preset>', description: 'take model, classes and batch from a preset (flags override)' },
    classes: { type: 'string', value: '<n>', description: 'identities (class centres)' },
    gpus: { type: 'string', value: '<W>', description: 'ranks, one GPU each', default: '8' },
    'gpu-memory': { type: 'string', value: '<size>', description: 'memory of one GPU (32GiB, 80GB …)', default: '32GiB' },
    batch: { type: 'string', value: '<B>', description: 'images per rank per step', default: '256' },
    'embedding-size': { type: 'string', value: '<D>', description: 'embedding size', default: '512' },
  },
  details: `Per rank, fp32 (b = 4 bytes), P parameters, C_r = ceil(C/W), k micro-batches, A activation elements per image:
  weights b·P; gradients b·P; LARS momentum b·P (b·P/W with ZeRO-1); activations b·A·B/k;
  PartialFC shard 3·b·C_r·D; logits and their gradient 2·b·(B/k·W)·C_r; gathered embeddings 2·b·(B/k·W)·D.
A counts what autodiff keeps per IBasicBlock (BN1, conv1, BN2, PReLU, conv2, BN3, add outputs, plus the
downsample conv+BN), read off the resnet-zoo architecture; checkpointing keeps segment inputs plus one
recomputed segment. Switches are tried cheapest first: ZeRO-1, stage then block checkpointing, then k = 2, 4, ….`,
  examples: [
    'bigface plan --model r600 --classes 2059906 --gpus 64 --gpu-memory 32GiB --batch 256',
    'bigface plan --preset webface42m-r240-cosface --gpus 8 --gpu-memory 80GB --json',
  ],
  async run({ values, reporter }) {
    const preset = typeof values.preset === 'string' ? PRESETS[values.preset] : undefined;
    if (typeof values.preset === 'string' && preset === undefined) {
      throw new BigFaceError('PRESET_UNKNOWN', `unknown preset '${values.preset}': choose one of ${Object.keys(PRESETS).join(', ')}`);
    }
    let presetModel: string | undefined;
    let presetBatch: number | undefined;
    if (preset) {
      let config: Record<string, unknown> = preset.config;
      let base = preset;
      while (!(config.model as { name?: string } | undefined)?.name && base.extends) {
        base = PRESETS[base.extends]!;
        config = base.config;
      }
      presetModel = (config.model as { name?: string } | undefined)?.name;
      presetBatch = ((preset.config.batch ?? PRESETS[preset.extends ?? '']?.config.batch) as { perRank?: number } | undefined)?.perRank;
    }
    const model = (values.model as string | undefined) ?? presetModel;
    if (model === undefined) throw new BigFaceError('USAGE_ERROR', 'plan: --model <name> is required (or --preset); see bigface zoo for the names');
    const classes = numberOption(values, 'classes', { integer: true, min: 1 }) ?? preset?.facts?.classes;
    if (classes === undefined) throw new BigFaceError('USAGE_ERROR', 'plan: --classes <n> is required (e.g. 2059906 for WebFace42M)');
    // Loaded on use: the planner reads the resnet-zoo architecture (with tfjs), which --help does not need.
    const { parseByteSize, planMemory } = await import('@bigface/train');
    const plan = planMemory({
      model,
      classes,
      gpus: numberOption(values, 'gpus', { integer: true, min: 1 })!,
      batch: values.batch === '256' && presetBatch !== undefined ? presetBatch : numberOption(values, 'batch', { integer: true, min: 1 })!,
      gpuMemoryBytes: gpuMemory(parseByteSize, String(values['gpu-memory'])),
      embeddingSize: numberOption(values, 'embedding-size', { integer: true, min: 1 }),
    });
    if (reporter.json) {
      reporter.result({ plan }, '');
      return;
    }
    const line = reporter.line.bind(reporter);
    line(
      `${plan.model}: ${plan.parameters.toLocaleString('en-US')} parameters; ${plan.classes.toLocaleString('en-US')} classes over ${plan.gpus} GPUs (${plan.classesPerRank.toLocaleString('en-US')} centres per rank); batch ${plan.batch} per rank (global ${plan.batch * plan.gpus}); GPU memory ${formatBytes(plan.gpuMemoryBytes)}`,
    );
    const a = plan.activationElementsPerImage;
    line(
      `activations per image: ${formatBytes(4 * a.none)} without checkpointing, ${formatBytes(4 * a.stage)} with per-stage, ${formatBytes(4 * a.block)} with per-block checkpointing`,
    );
    line('');
    const recommended = plan.recommended;
    const header = ['component', 'as asked', ...(recommended ? ['with switches'] : [])];
    const rows = ROWS.map(([key, label]) => [label, formatBytes(plan.baseline[key]), ...(recommended ? [formatBytes(recommended.breakdown[key])] : [])]);
    const table = [header, ...rows];
    const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
    for (const row of table) line(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
    line('');
    if (plan.baselineFits) line(`fits: ${formatBytes(plan.baseline.total)} of ${formatBytes(plan.gpuMemoryBytes)} without any switch.`);
    else if (recommended) {
      const s = recommended.switches;
      const parts = [
        s.zero1 ? 'ZeRO-1 (shard the LARS momentum over the ranks: distributed.zero=1)' : '',
        s.checkpointing !== 'none' ? `gradient checkpointing per ${s.checkpointing} (model.checkpointing=${s.checkpointing})` : '',
        s.microBatches > 1 ? `micro-batching k = ${s.microBatches} (batch.microBatches=${s.microBatches}, micro-batch ${plan.batch / s.microBatches})` : '',
      ].filter(Boolean);
      line(
        `does not fit as asked (${formatBytes(plan.baseline.total)} > ${formatBytes(plan.gpuMemoryBytes)}); fits with ${parts.join(' + ')}: ${formatBytes(recommended.breakdown.total)}.`,
      );
    } else {
      line(`does not fit even with block checkpointing, micro-batch 1 and ZeRO-1: use more GPUs (fewer centres per rank) or more memory.`);
    }
  },
};
