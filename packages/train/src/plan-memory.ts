import { BigFaceError } from '@bigface/backend/errors';
import { countParameters, resolveIResNetConfig, type IResNetOptions } from '@bigface/resnet-zoo';
import { planActivations, type ActivationPlan } from './plan-activations';

/** The question `bigface plan` answers. */
export interface PlanMemoryOptions {
  /** A zoo name (`r600`) or IResNet options. */
  model: string | IResNetOptions;
  classes: number;
  /** Ranks W (one GPU each). */
  gpus: number;
  /** Memory of one GPU in bytes. */
  gpuMemoryBytes: number;
  /** Images per rank per step. */
  batch: number;
  embeddingSize?: number;
  /** Bytes per value (4: fp32 everywhere). */
  bytesPerValue?: number;
}

/** The switches that trade compute or communication for memory. */
export interface MemorySwitches {
  checkpointing: 'none' | 'stage' | 'block';
  /** Micro-batches k per step (gradient accumulation). */
  microBatches: number;
  /** ZeRO stage 1: the backbone's LARS momentum sharded over the W ranks. */
  zero1: boolean;
}

/** Bytes per rank, by component. */
export interface MemoryBreakdown {
  weights: number;
  gradients: number;
  optimizerState: number;
  activations: number;
  partialFcShard: number;
  logits: number;
  embeddings: number;
  total: number;
}

/** What {@link planMemory} returns. */
export interface MemoryPlan {
  model: string;
  parameters: number;
  classes: number;
  gpus: number;
  batch: number;
  embeddingSize: number;
  gpuMemoryBytes: number;
  /** Class centres on the largest shard: ceil(C / W). */
  classesPerRank: number;
  /** Activation elements per image (none / stage / block checkpointing). */
  activationElementsPerImage: { none: number; stage: number; block: number };
  /** As asked: no checkpointing, k = 1, no ZeRO. */
  baseline: MemoryBreakdown;
  baselineFits: boolean;
  /** The cheapest switches that fit (null when nothing does), and its breakdown. */
  recommended: { switches: MemorySwitches; breakdown: MemoryBreakdown } | null;
}

/**
 * Per-rank bytes of one training step with the given switches (b = bytesPerValue, P parameters,
 * C_r = ceil(C/W) centres on this rank, B images per rank, k micro-batches, A activation elements
 * per image for the checkpointing mode, D embedding size):
 *
 *   weights b·P, gradients b·P, LARS momentum b·P (b·ceil(P/W) with ZeRO-1), activations b·A·B/k,
 *   PartialFC shard 3·b·C_r·D (centres + gradient + momentum), logits 2·b·(B/k·W)·C_r (cosine logits
 *   of the gathered micro-batch against this shard, and their gradient), gathered embeddings
 *   2·b·(B/k·W)·D (features and their gradient).
 *
 * @example
 * memoryBreakdown(plan, { checkpointing: 'block', microBatches: 2, zero1: true });
 */
export function memoryBreakdown(
  shape: {
    parameters: number;
    classesPerRank: number;
    gpus: number;
    batch: number;
    embeddingSize: number;
    activationElementsPerImage: ActivationPlan | MemoryPlan['activationElementsPerImage'];
    bytesPerValue?: number;
  },
  switches: MemorySwitches,
): MemoryBreakdown {
  const b = shape.bytesPerValue ?? 4;
  const micro = shape.batch / switches.microBatches;
  const gathered = micro * shape.gpus;
  const weights = b * shape.parameters;
  const gradients = b * shape.parameters;
  const optimizerState = b * (switches.zero1 ? Math.ceil(shape.parameters / shape.gpus) : shape.parameters);
  const activations = b * shape.activationElementsPerImage[switches.checkpointing] * micro;
  const partialFcShard = 3 * b * shape.classesPerRank * shape.embeddingSize;
  const logits = 2 * b * gathered * shape.classesPerRank;
  const embeddings = 2 * b * gathered * shape.embeddingSize;
  const total = weights + gradients + optimizerState + activations + partialFcShard + logits + embeddings;
  return { weights, gradients, optimizerState, activations, partialFcShard, logits, embeddings, total };
}

/** Switch combinations from cheapest to dearest: fewer micro-batches first, then checkpointing, ZeRO-1 before each. */
function candidates(batch: number): MemorySwitches[] {
  const list: MemorySwitches[] = [];
  for (let k = 1; k <= batch; k *= 2) {
    if (batch % k !== 0) break;
    for (const checkpointing of ['none', 'stage', 'block'] as const) {
      for (const zero1 of [false, true]) list.push({ checkpointing, microBatches: k, zero1 });
    }
  }
  return list;
}

/**
 * Plans the memory of data-parallel BigFace training on W GPUs (backbone replicated, PartialFC class
 * centres sharded): the per-rank bytes of every component (see {@link memoryBreakdown}) as asked, and
 * the cheapest combination of gradient checkpointing, micro-batching and ZeRO-1 that fits.
 *
 * @example
 * const plan = planMemory({ model: 'r600', classes: 2059906, gpus: 64, gpuMemoryBytes: 32 * 2 ** 30, batch: 256 });
 * plan.baselineFits; // false
 * plan.recommended?.switches; // { checkpointing: 'block', microBatches: 4, zero1: false }, say
 */
export function planMemory(options: PlanMemoryOptions): MemoryPlan {
  const { classes, gpus, batch, gpuMemoryBytes } = options;
  const positive = (value: number, name: string) => {
    if (!Number.isInteger(value) || value < 1) throw new BigFaceError('INVALID_ARGUMENT', `planMemory: ${name} must be a positive integer, got ${value}`);
  };
  positive(classes, 'classes');
  positive(gpus, 'gpus');
  positive(batch, 'batch');
  if (!(gpuMemoryBytes > 0)) throw new BigFaceError('INVALID_ARGUMENT', `planMemory: gpuMemoryBytes must be positive, got ${gpuMemoryBytes}`);
  const architecture: IResNetOptions =
    typeof options.model === 'string'
      ? { backbone: options.model, embeddingSize: options.embeddingSize }
      : { ...options.model, embeddingSize: options.embeddingSize ?? options.model.embeddingSize };
  const config = resolveIResNetConfig(architecture);
  const parameters = countParameters(architecture);
  const activations = planActivations(architecture);
  const shape = {
    parameters,
    classesPerRank: Math.ceil(classes / gpus),
    gpus,
    batch,
    embeddingSize: config.embeddingSize,
    activationElementsPerImage: { none: activations.none, stage: activations.stage, block: activations.block },
    bytesPerValue: options.bytesPerValue ?? 4,
  };
  const baseline = memoryBreakdown(shape, { checkpointing: 'none', microBatches: 1, zero1: false });
  let recommended: MemoryPlan['recommended'] = null;
  for (const switches of candidates(batch)) {
    const breakdown = memoryBreakdown(shape, switches);
    if (breakdown.total <= gpuMemoryBytes) {
      recommended = { switches, breakdown };
      break;
    }
  }
  return {
    model: config.name,
    parameters,
    classes,
    gpus,
    batch,
    embeddingSize: config.embeddingSize,
    gpuMemoryBytes,
    classesPerRank: shape.classesPerRank,
    activationElementsPerImage: shape.activationElementsPerImage,
    baseline,
    baselineFits: baseline.total <= gpuMemoryBytes,
    recommended,
  };
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/**
 * Parses a memory size: `32GiB`, `32G` (binary), `80GB` (decimal), `1.5TiB`, `4096` (bytes).
 *
 * @example
 * parseByteSize('32GiB'); // 34359738368
 */
export function parseByteSize(text: string): number {
  const match = /^\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match?.[2]?.toLowerCase() ?? '';
  if (!match || (unit !== '' && UNITS[unit] === undefined)) {
    throw new BigFaceError('INVALID_ARGUMENT', `'${text}' is not a memory size; write e.g. 32GiB, 80GB, 24G or a byte count`);
  }
  return Math.round(Number(match[1]) * (unit === '' ? 1 : UNITS[unit]!));
}
