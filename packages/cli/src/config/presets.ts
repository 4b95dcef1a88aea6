/**
 * Training presets as plain data (a base config plus per-experiment overrides, as arcface_torch's
 * configs): the BigFace deck's WebFace42M runs and small SynthFaces runs that finish on a CPU.
 *
 * Numbers from the deck (MFR-ICCV2021 BigFace, https://arxiv.org/abs/2108.08107): CosFace m 0.4 s 64;
 * LARS lr 0.01 at 256 images per rank with linear scaling from the global batch, warm-up, weight decay
 * 5e-4, multi-step schedule, 30 epochs; batch 256 per rank; mask ratio 0.35; PartialFC without
 * sampling (sample rate 1); λ 9 for distillation; r240 student [3,25,88,(3)], r600 teacher.
 * WebFace42M: 2,059,906 identities, 42,474,557 images (its `property` file says so; training reads
 * the class count from the data).
 *
 * Where the deck is silent we take insightface arcface_torch's WebFace42M configs
 * (`configs/wf42m_*.py`): momentum 0.9 and warm-up `num_epoch // 10` epochs (3 of 30). Those configs
 * decay polynomially, so they give no milestones; the multi-step milestones are arcface_torch's own
 * multi-step schedule (ms1mv3: decay ×0.1 at epochs 10, 16, 22 of 25, i.e. at 40 %, 64 %, 88 % of
 * training) stretched to 30 epochs: 12, 19, 26 (rounded). These three choices are ours, not the deck's.
 */
export interface Preset {
  /** One line for `bigface train --list-presets`. */
  description: string;
  /** A preset this one overrides (deep merge; arrays replace). */
  extends?: string;
  /** Facts the config cannot hold but `bigface plan` uses (the data decide the class count in training). */
  facts?: { classes?: number; images?: number; gpus?: number };
  config: Record<string, unknown>;
}

/** WebFace42M's identity and image counts (insightface's WebFace42M RecordIO `property`). */
export const WEBFACE42M = { classes: 2_059_906, images: 42_474_557 } as const;

const deckRecipe = {
  data: { source: 'recordio', path: 'data/WebFace42M/train.rec', imageSize: 112, flip: true, mask: { ratio: 0.35 } },
  loss: { margin: 'cosface', m: 0.4, s: 64, sampleRate: 1 },
  optimizer: { lr: 0.01, referenceBatch: 256, momentum: 0.9, weightDecay: 5e-4 },
  schedule: { epochs: 30, warmupEpochs: 3, milestones: [12, 19, 26], gamma: 0.1 },
  batch: { perRank: 256, microBatches: 1 },
  checkpoint: { everySteps: 2000, keepLast: 2 },
  evaluation: { everySteps: 0, heldOutIdentities: 0 },
  log: { everySteps: 50 },
};

// The SynthFaces runs: same recipe (CosFace, PartialFC over 2 ranks, LARS, masks at 0.35), tiny
// IResNets at 56×56 so that a 2-core CPU trains each in a few minutes. The LARS rate (2 per 256
// images, trust coefficient 0.02) is far above the deck's 0.01 / 0.001: tried on SynthFaces, it is
// what lowers the loss within a few dozen steps; larger rates made BatchNorm (plain SGD) diverge.
const synthRecipe = {
  backend: 'auto',
  data: { source: 'synth', identities: 96, imagesPerIdentity: 8, cacheDir: '.cache/bigface-synth', imageSize: 56, flip: true, mask: { ratio: 0.35 } },
  loss: { margin: 'cosface', m: 0.4, s: 64, sampleRate: 1 },
  optimizer: { lr: 2, referenceBatch: 256, momentum: 0.9, weightDecay: 5e-4, trustCoefficient: 0.02 },
  schedule: { epochs: 6, warmupEpochs: 0.5, milestones: [4, 5.5], gamma: 0.1 },
  batch: { perRank: 32, microBatches: 1 },
  distributed: { worldSize: 2 },
  checkpoint: { everySteps: 0, keepLast: 1 },
  evaluation: { everySteps: 0, heldOutIdentities: 24, pairs: 400, batchSize: 64 },
  log: { everySteps: 1 },
};

/** Every preset by name. */
export const PRESETS: Record<string, Preset> = {
  'webface42m-r240-cosface': {
    description: "the deck's student: r240 [3,25,88,3] on WebFace42M, CosFace m 0.4 s 64, LARS, 30 epochs, masks 0.35",
    facts: WEBFACE42M,
    config: {
      name: 'webface42m-r240-cosface',
      outputDir: 'runs/webface42m-r240-cosface',
      ...deckRecipe,
      model: { name: 'r240', embeddingSize: 512, checkpointing: 'block' },
    },
  },
  'webface42m-r600-teacher': {
    description: "the deck's teacher: r600 [3,70,220,3] on WebFace42M, same recipe",
    extends: 'webface42m-r240-cosface',
    facts: WEBFACE42M,
    config: { name: 'webface42m-r600-teacher', outputDir: 'runs/webface42m-r600-teacher', model: { name: 'r600', embeddingSize: 512, checkpointing: 'block' } },
  },
  'webface42m-r240-distill': {
    description: "the deck's distilled student: r240 + λ 9 · ||s/|s| − t/|t|||² from the r600 teacher",
    extends: 'webface42m-r240-cosface',
    facts: WEBFACE42M,
    config: {
      name: 'webface42m-r240-distill',
      outputDir: 'runs/webface42m-r240-distill',
      distill: { teacher: { checkpoint: 'runs/webface42m-r600-teacher', model: { name: 'r600' } }, lambda: 9 },
    },
  },
  'synth-tiny-cosface': {
    description: 'CPU minutes: a tiny student IResNet [1,1,1,1] ×0.25 on SynthFaces, W = 2 ranks',
    config: {
      name: 'synth-tiny-cosface',
      outputDir: 'runs/synth-tiny-cosface',
      ...synthRecipe,
      model: { layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64 },
    },
  },
  'synth-tiny-teacher': {
    description: 'CPU minutes: a wider tiny teacher IResNet [1,1,1,1] ×0.375 on SynthFaces, W = 2 ranks',
    extends: 'synth-tiny-cosface',
    config: { name: 'synth-tiny-teacher', outputDir: 'runs/synth-tiny-teacher', model: { layers: [1, 1, 1, 1], widthMultiplier: 0.375, embeddingSize: 64 } },
  },
  'synth-tiny-distill': {
    description: 'CPU minutes: the tiny student distilled (λ 9) from runs/synth-tiny-teacher',
    extends: 'synth-tiny-cosface',
    config: {
      name: 'synth-tiny-distill',
      outputDir: 'runs/synth-tiny-distill',
      distill: { teacher: { checkpoint: 'runs/synth-tiny-teacher' }, lambda: 9 },
    },
  },
};
