import type { VerificationPairsReport } from '@bigface/eval';
import type { TrainConfig } from './config';
import type { ResumeChange } from './training-setup';

/** Memory in use when a step ended: tfjs tensors (count and bytes) and the process's resident set. */
export interface MemoryUsage {
  tensors: number;
  tensorBytes: number;
  residentBytes: number;
}

/** One verification protocol's summary on the held-out pairs (the full report is in {@link EvaluationResult}). */
export interface EvaluationSummary {
  protocol: 'standard' | 'masked';
  /** insightface 10-fold accuracy (mean). */
  accuracy: number;
  areaUnderRoc: number;
  equalErrorRate: number;
  /** FNMR at FMR 1e-1, 1e-2, 1e-3 (null where the pairs are too few to measure it). */
  falseNonMatchRate: { falseMatchRate: number; value: number | null }[];
}

/** A periodic or final verification on held-out identities. */
export interface EvaluationResult {
  step: number;
  epoch: number;
  pairs: number;
  summaries: EvaluationSummary[];
  /** Full reports (scores, ROC, ...) per protocol, for plots and the Table-2 row. */
  reports: Partial<Record<'standard' | 'masked', VerificationPairsReport>>;
}

/**
 * What {@link train} reports while it runs (from rank 0), in order: `start`, then `step`s with
 * `checkpoint`s and `evaluation`s between them, `warning`s whenever, and `end`.
 */
export type TrainEvent =
  | {
      type: 'start';
      config: TrainConfig;
      /** Step the run starts from (0, or the resumed checkpoint's step). */
      startStep: number;
      totalSteps: number;
      stepsPerEpoch: number;
      numClasses: number;
      trainImages: number;
      globalBatch: number;
      /** The learning rate after linear scaling (before warm-up and decay). */
      scaledLearningRate: number;
      resumedFrom: string | null;
      /** Set when the resumed checkpoint was written at another world size or global batch. */
      resumeChange: ResumeChange | null;
      /** The tfjs backend's name (`cpu`, `wasm`, `tensorflow`). */
      backend: string;
      /** One line naming the backend, native kernels and threads per rank (BackendInfo.description). */
      backendDescription: string;
    }
  | {
      type: 'step';
      /** 1-based: the number of optimizer steps done. */
      step: number;
      totalSteps: number;
      /** Fractional epoch reached (step / stepsPerEpoch). */
      epoch: number;
      loss: number;
      classificationLoss: number;
      distillationLoss: number | null;
      accuracy: number;
      lr: number;
      imagesPerSecond: number;
      stepSeconds: number;
      memory: MemoryUsage;
    }
  | { type: 'checkpoint'; step: number; path: string; seconds: number }
  | { type: 'evaluation'; step: number; result: EvaluationResult }
  | { type: 'warning'; step: number; message: string }
  | { type: 'end'; step: number; seconds: number; result: TrainResult };

/** What {@link train} resolves with. */
export interface TrainResult {
  /** The run directory (config.outputDir, absolute). */
  outputDir: string;
  /** The last checkpoint directory (holds backbone.safetensors, loadable by {@link loadTrainedBackbone}). */
  finalCheckpoint: string;
  /** Its backbone in PyTorch names (insightface's iresnet.py loads it). */
  backbonePath: string;
  /** One JSON line per logged step. */
  metricsPath: string;
  /** One JSON line per evaluation (summaries only). */
  evaluationsPath: string;
  steps: number;
  /** False when stopped early by the abort signal (a checkpoint was written at the stop). */
  completed: boolean;
  /** Every evaluation of this invocation, last one last (empty when evaluation is off). */
  evaluations: EvaluationResult[];
  /** The last logged step's metrics. */
  finalMetrics: { loss: number; accuracy: number; lr: number } | null;
  /** The backend the ranks trained on (BackendInfo.description, e.g. `cpu + native oneDNN kernels, 1 thread`). */
  backend: string;
}

/** Options of {@link train}. */
export interface TrainOptions {
  /** Called (on the calling thread) for every {@link TrainEvent}. */
  onEvent?: (event: TrainEvent) => void;
  /** Stops at the next step boundary, writes a checkpoint and resolves with `completed: false`. */
  signal?: AbortSignal;
  /**
   * `'auto'` (default): continue from the run directory's latest checkpoint when there is one;
   * `true`: require one (error otherwise); `false`: start fresh (refuses a directory that holds checkpoints).
   */
  resume?: 'auto' | boolean;
}
