import { BigFaceError, didYouMean } from '@bigface/backend/errors';
import { BACKBONES, type BackboneName } from '@bigface/resnet-zoo/registry';
import { z } from 'zod';

/**
 * The training configuration: one flat, documented object, validated by {@link trainConfigSchema}.
 * Every field has a default except where a value cannot be guessed (a data path).
 *
 * Numbers follow the BigFace recipe (MFR-ICCV2021, https://arxiv.org/abs/2108.08107) where it gives
 * them: CosFace m 0.4 s 64; LARS lr 0.01 per 256 images with linear scaling, weight decay 5e-4,
 * warm-up and a multi-step schedule over 30 epochs; batch 256 per rank; mask ratio 0.35; λ 9.
 */

/** resnet-zoo's registry names (from its tensor-free `registry` entry: this module loads no tfjs). */
export const BACKBONE_NAMES = Object.keys(BACKBONES) as [BackboneName, ...BackboneName[]];

const positiveInteger = () => z.number().int().min(1);
const nonNegativeInteger = () => z.number().int().min(0);
const probability = () => z.number().min(0).max(1);

const maskSchema = z
  .strictObject({
    /** Probability that a training sample is masked (0 turns masking off). */
    ratio: probability().default(0.35),
    /** Relative weights of the two synthesizers of @bigface/mask-synth (many textures vs natural). */
    mix: z.strictObject({ textured: z.number().min(0), natural: z.number().min(0) }).optional(),
  })
  .default({ ratio: 0.35 });

const commonData = {
  /** Model input size in pixels (square); decoded 112×112 images are resized when it differs. */
  imageSize: z.number().int().min(16).max(512).default(112),
  /** Decode/augment worker threads of the data pipeline (0: on the training thread). Results do not depend on it. */
  workers: nonNegativeInteger().default(0),
  /** Random horizontal flip with probability 0.5. */
  flip: z.boolean().default(true),
  mask: maskSchema,
};

const synthDataSchema = z.strictObject({
  source: z.literal('synth'),
  /** Training identities of the embedded SynthFaces generator. */
  identities: z.number().int().min(2).default(64),
  imagesPerIdentity: z.number().int().min(1).default(8),
  /** Where the generated RecordIO is cached (re-used when identities/images/seed match). */
  cacheDir: z.string().min(1).default('.cache/bigface-synth'),
  ...commonData,
});
const recordDataSchema = z.strictObject({
  source: z.literal('recordio'),
  /** insightface RecordIO: the `.rec` file (its `.idx` beside it). */
  path: z.string().min(1),
  ...commonData,
});
const folderDataSchema = z.strictObject({
  source: z.literal('folder'),
  /** A folder with one sub-folder of images per identity. */
  path: z.string().min(1),
  ...commonData,
});

const modelSchema = z
  .strictObject({
    /** A zoo name (`r18` … `r2060`, `r240` is the deck's student); ignored when `layers` is given. */
    name: z.enum(BACKBONE_NAMES).optional(),
    /** Blocks per stage, overriding `name`: four positive integers. */
    layers: z.array(positiveInteger()).length(4).optional(),
    embeddingSize: positiveInteger().default(512),
    /** Multiplies every width (0.25 gives 16/32/64/128). */
    widthMultiplier: z.number().gt(0).max(4).default(1),
    dropout: z.number().min(0).lt(1).default(0),
    /** Gradient checkpointing: recompute each stage / block in backward instead of keeping activations. */
    checkpointing: z.enum(['none', 'stage', 'block']).default('none'),
  })
  .default({ embeddingSize: 512, widthMultiplier: 1, dropout: 0, checkpointing: 'none' });

const lossSchema = z
  .strictObject({
    /** CosFace (m3), ArcFace (m2) or the combined margin cos(m1·θ + m2) − m3. */
    margin: z.enum(['cosface', 'arcface', 'combined']).default('cosface'),
    /** The margin (cosface: m3; arcface: m2). Default 0.4 (CosFace as in the deck). */
    m: z.number().min(0).max(2).default(0.4),
    /** combined only: [m1, m2, m3]; overrides `m`. */
    margins: z.tuple([z.number(), z.number(), z.number()]).optional(),
    /** The scale. */
    s: z.number().gt(0).default(64),
    /** PartialFC negative-class sampling rate (1: all centres, as the BigFace recipe). */
    sampleRate: z.number().gt(0).max(1).default(1),
  })
  .default({ margin: 'cosface', m: 0.4, s: 64, sampleRate: 1 });

const optimizerSchema = z
  .strictObject({
    /** LARS base learning rate at `referenceBatch` images; scaled linearly with the global batch. */
    lr: z.number().gt(0).default(0.01),
    referenceBatch: positiveInteger().default(256),
    momentum: z.number().min(0).lt(1).default(0.9),
    weightDecay: z.number().min(0).default(5e-4),
    /** LARS trust coefficient η. */
    trustCoefficient: z.number().gt(0).default(0.001),
  })
  .default({ lr: 0.01, referenceBatch: 256, momentum: 0.9, weightDecay: 5e-4, trustCoefficient: 0.001 });

const scheduleSchema = z
  .strictObject({
    epochs: z.number().gt(0).default(30),
    /** Optional cap on the number of optimizer steps (the schedule still runs in epochs). */
    steps: positiveInteger().optional(),
    /** Linear warm-up from 0 over this many epochs (fractions allowed). */
    warmupEpochs: z.number().min(0).default(1),
    /** Epochs at which the learning rate is multiplied by `gamma`. */
    milestones: z.array(z.number().gt(0)).default([10, 18, 25]),
    gamma: z.number().gt(0).max(1).default(0.1),
  })
  .default({ epochs: 30, warmupEpochs: 1, milestones: [10, 18, 25], gamma: 0.1 });

const batchSchema = z
  .strictObject({
    /** Images per rank per optimizer step (the global batch is perRank × worldSize). */
    perRank: positiveInteger().default(256),
    /** Split each rank's batch into this many micro-batches whose gradients accumulate into one step. */
    microBatches: positiveInteger().default(1),
  })
  .default({ perRank: 256, microBatches: 1 });

const distributedSchema = z
  .strictObject({
    /**
     * Ranks: worker threads on this machine when > 1 (`communicator: 'threads'`). With `'mpi'` the
     * world size is MPI's (`mpirun -np W`); a value other than 1 here must equal it.
     */
    worldSize: positiveInteger().default(1),
    /**
     * `'threads'` (default): `train` starts the W ranks itself (see `launcher`); `'mpi'`: this process
     * is one rank of a job someone else started (`mpirun -np W`, srun, Kubernetes), via @bigface/mpi.
     */
    communicator: z.enum(['threads', 'mpi']).default('threads'),
    /**
     * How `train` starts W > 1 ranks: `'threads'` (worker threads of this process), `'processes'`
     * (W Node processes on this machine under OpenMPI's mpirun, talking over @bigface/mpi — as
     * torchrun does), or `'auto'` (default): processes for backends that cannot share a process
     * (tfjs-node, tfjs-node-gpu: tensorflow/tfjs#8388), threads otherwise.
     */
    launcher: z.enum(['auto', 'threads', 'processes']).default('auto'),
    /** ZeRO stage: 0 (every rank holds the backbone's whole optimizer state) or 1 (sharded across ranks, ≈ 1/W each). */
    zero: z.union([z.literal(0), z.literal(1)]).default(0),
  })
  .default({ worldSize: 1, communicator: 'threads', launcher: 'auto', zero: 0 });

const teacherSchema = z.strictObject({
  /** A teacher checkpoint: a run directory of @bigface/train or a safetensors file in PyTorch names. */
  checkpoint: z.string().min(1).optional(),
  /** The teacher's architecture (like `model`); read from the run's config.json when omitted. */
  model: z
    .strictObject({
      name: z.enum(BACKBONE_NAMES).optional(),
      layers: z.array(positiveInteger()).length(4).optional(),
      embeddingSize: positiveInteger().optional(),
      widthMultiplier: z.number().gt(0).max(4).optional(),
    })
    .optional(),
  /** A TeacherEmbeddingCache directory/file instead of a live teacher. */
  cache: z.string().min(1).optional(),
});

const distillSchema = z.strictObject({
  teacher: teacherSchema,
  /** Weight of λ·||s/|s| − t/|t|||² (9 in the deck). */
  lambda: z.number().min(0).default(9),
  /** Fraction of samples treated as unlabeled (label −1: distillation term only), seeded per sample. */
  unlabeledRatio: z.number().min(0).lt(1).default(0),
});

const checkpointSchema = z
  .strictObject({
    /** Write a checkpoint every N steps (0: only at the end). */
    everySteps: nonNegativeInteger().default(1000),
    /** Checkpoints kept on disk (older ones are removed). */
    keepLast: positiveInteger().default(2),
  })
  .default({ everySteps: 1000, keepLast: 2 });

const evaluationSchema = z
  .strictObject({
    /** Verify every N steps (0: only at the end). */
    everySteps: nonNegativeInteger().default(0),
    /** Held-out identities, disjoint from training (0: no evaluation). */
    heldOutIdentities: nonNegativeInteger().default(16),
    /** Verification pairs (half genuine, half impostor). */
    pairs: z.number().int().min(2).default(200),
    protocols: z
      .array(z.enum(['standard', 'masked']))
      .min(1)
      .default(['standard', 'masked']),
    /** Images per evaluation forward pass. */
    batchSize: positiveInteger().default(64),
  })
  .default({ everySteps: 0, heldOutIdentities: 16, pairs: 200, protocols: ['standard', 'masked'], batchSize: 64 });

const logSchema = z
  .strictObject({
    /** Write a metrics line and emit a `step` event every N steps. */
    everySteps: positiveInteger().default(1),
  })
  .default({ everySteps: 1 });

const testingSchema = z
  .strictObject({
    /** Test-only fault injection: make the loss NaN at this (1-based) step. */
    injectNonFiniteAtStep: positiveInteger().optional(),
    /**
     * Test-only fault injection: rank `rank` fails when step `step` begins — `throw`s an error, or
     * `exit`s abruptly (a worker thread ends; a process exits without a word), to check that the
     * whole job comes down naming the rank.
     */
    failRank: z.strictObject({ rank: nonNegativeInteger(), step: positiveInteger(), how: z.enum(['throw', 'exit']) }).optional(),
    /** Test-only: every rank appends the dataset indices of each step's batch to `samples.rank-R.jsonl` in the run directory. */
    logSamples: z.boolean().optional(),
    /**
     * Test-only: BatchNorm in eval mode (running statistics) while training, so that results do not
     * depend on how the global batch is split over ranks or micro-batches (checks W = 1 ≡ W = 2).
     */
    frozenBatchNorm: z.boolean().optional(),
  })
  .optional();

/** The zod schema of a training configuration (input → {@link TrainConfig} with every default filled). */
export const trainConfigSchema = z
  .strictObject({
    /** A name describing the run, e.g. `synth-r18-cosface`. */
    name: z.string().min(1).default('bigface-run'),
    /** The run directory: checkpoints, metrics.jsonl, config.json. */
    outputDir: z.string().min(1).default('runs/bigface-run'),
    /** The one seed of every random choice (init, sampler, augmentation, held-out pairs). */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(0),
    /** Tensor backend of every rank. */
    backend: z.enum(['auto', 'cpu', 'wasm', 'tensorflow']).default('auto'),
    /**
     * `fp32`, or `bf16` mixed precision (the deck trained with mixed precision): convolutions and
     * matmuls take bf16 operands with fp32 accumulation; master weights, BatchNorm, the loss and the
     * optimizer stay fp32, and the backbone's gradients cross between ranks as bf16 (half the bytes)
     * with an fp32 sum. Needs the native cpu kernels on a CPU with AVX-512 BF16 or AMX.
     */
    precision: z.enum(['fp32', 'bf16']).default('fp32'),
    data: z.discriminatedUnion('source', [synthDataSchema, recordDataSchema, folderDataSchema]),
    model: modelSchema,
    loss: lossSchema,
    optimizer: optimizerSchema,
    schedule: scheduleSchema,
    batch: batchSchema,
    distributed: distributedSchema,
    distill: distillSchema.optional(),
    checkpoint: checkpointSchema,
    evaluation: evaluationSchema,
    log: logSchema,
    testing: testingSchema,
  })
  .superRefine((config, context) => {
    if (config.batch.perRank % config.batch.microBatches !== 0) {
      context.addIssue({
        code: 'custom',
        path: ['batch', 'microBatches'],
        input: config.batch.microBatches,
        message: `a divisor of batch.perRank (${config.batch.perRank})`,
      });
    }
    if (config.distill) {
      const { checkpoint, cache } = config.distill.teacher;
      if ((checkpoint === undefined) === (cache === undefined)) {
        context.addIssue({
          code: 'custom',
          path: ['distill', 'teacher'],
          input: config.distill.teacher,
          message: 'exactly one of { checkpoint } (a live frozen teacher) or { cache } (a TeacherEmbeddingCache)',
        });
      }
    }
    if (config.loss.margin !== 'combined' && config.loss.margins !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['loss', 'margins'],
        input: config.loss.margins,
        message: "no value unless loss.margin is 'combined' (use loss.m)",
      });
    }
  });

/** A validated training configuration with every default filled in. */
export type TrainConfig = z.output<typeof trainConfigSchema>;
/** What a user writes: every field with a default may be omitted. */
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A schema without its optional/default/pipe wrappers (zod's public accessors). */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}

/** The keys a strict object at `path` accepts (walking the schema; the data union by its source). */
function knownKeys(root: unknown, path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = trainConfigSchema;
  for (let depth = 0; depth <= path.length; depth++) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodUnion) {
      const source = (valueAt(root, path.slice(0, depth)) as { source?: unknown } | undefined)?.source;
      const options = schema.options as z.ZodType[];
      schema = options.find((option) => option instanceof z.ZodObject && (option.shape.source as z.ZodLiteral).values.has(source as never)) ?? options[0];
    }
    if (!(schema instanceof z.ZodObject)) return [];
    if (depth === path.length) return Object.keys(schema.shape);
    schema = schema.shape[path[depth] as string] as z.ZodType | undefined;
  }
  return [];
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('') || '(root)';
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
  const path: PropertyKey[] = issue.path ?? [];
  const got = show(issue.input !== undefined ? issue.input : valueAt(input, path));
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const keys = knownKeys(input, path);
        const close = didYouMean(key, keys);
        const hint = close !== null ? ` (did you mean '${close}'?)` : '';
        return `${formatPath([...path, key])}: got an unknown key${hint}; expected one of ${keys.join(', ')}`;
      });
    case 'invalid_type':
      return [
        `${formatPath(path)}: got ${got}; expected ${issue.expected === 'tuple' || issue.expected === 'array' ? 'an array' : issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`,
      ];
    case 'invalid_value':
      return [`${formatPath(path)}: got ${got}; expected one of ${issue.values.map(show).join(', ')}`];
    case 'invalid_union':
      if ((issue as { note?: string }).note === 'No matching discriminator' || (issue as { discriminator?: string }).discriminator !== undefined) {
        const at = path[path.length - 1] === 'source' ? path : [...path, 'source'];
        return [`${formatPath(at)}: got ${show(valueAt(input, at))}; expected one of 'synth', 'recordio', 'folder'`];
      }
      return [`${formatPath(path)}: got ${got}; expected ${issue.message}`];
    case 'too_small':
    case 'too_big': {
      const limit = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const bound = issue.code === 'too_small' ? (issue.inclusive === false ? '>' : '>=') : issue.inclusive === false ? '<' : '<=';
      const what =
        issue.origin === 'array'
          ? 'an array with length '
          : issue.origin === 'string'
            ? 'a string with length '
            : issue.origin === 'number' && issue.code === 'too_small' && Number(limit) === 1
              ? 'an integer '
              : 'a number ';
      const range = issue.exact ? `exactly ${String(limit)}` : `${bound} ${String(limit)}`;
      return [`${formatPath(path)}: got ${got}; expected ${what}${range}`];
    }
    case 'custom':
      return [`${formatPath(path)}: got ${got}; expected ${issue.message}`];
    default:
      return [`${formatPath(path)}: got ${got}; expected ${String(issue.message).replace(/^Invalid input: expected /, '')}`];
  }
}

/**
 * Validates a training configuration and fills in its defaults. Throws `CONFIG_INVALID` listing
 * every problem, one per line, as `key.path: got <value>; expected <allowed values or range>`
 * (unknown keys are errors, with a "did you mean" when one is close).
 *
 * @example
 * import { resolveTrainConfig } from '@bigface/train';
 * const config = resolveTrainConfig({ data: { source: 'synth', identities: 32 }, batch: { perRank: 32 } });
 * config.loss; // { margin: 'cosface', m: 0.4, s: 64, sampleRate: 1 }
 */
export function resolveTrainConfig(input: unknown): TrainConfig {
  const result = trainConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, input));
  throw new BigFaceError(
    'CONFIG_INVALID',
    `invalid training configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`,
  );
}
