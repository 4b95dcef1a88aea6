import { hashSeed, Rng, tf } from '@bigface/backend';
import { DataPipeline } from '@bigface/data';
import { applyVerificationProtocol, evaluateVerificationPairs, rawImagesToTensor, type VerificationPairsReport } from '@bigface/eval';
import type { PreparedDataset } from './prepare-dataset';
import { SubsetSampler } from './subset-sampler';
import type { EvaluationResult, EvaluationSummary } from './train-events';

/** Verification pairs of held-out identities, ready per protocol (interleaved NHWC at the model's input size). */
export interface HeldOutPairs {
  issame: boolean[];
  images: Partial<Record<'standard' | 'masked', tf.Tensor4D>>;
}

/**
 * Draws `pairs` verification pairs from the held-out identities (half genuine: two images of one
 * identity; half impostor: two identities), seeded, decodes them without augmentation, and builds
 * each protocol's images (`masked`: the second face of each pair masked by @bigface/mask-synth, as
 * MFR's mask-to-nonmask set), resized to `imageSize`. Returns null when the held-out set cannot form
 * both kinds of pair.
 *
 * @example
 * const heldOut = await buildHeldOutPairs(prepared, { pairs: 200, seed: 1, imageSize: 112, protocols: ['standard', 'masked'] });
 */
export async function buildHeldOutPairs(
  prepared: PreparedDataset,
  options: { pairs: number; seed: number; imageSize: number; protocols: readonly ('standard' | 'masked')[] },
): Promise<HeldOutPairs | null> {
  const byLabel = new Map<number, number[]>();
  prepared.heldOutIndices.forEach((index, i) => {
    const label = prepared.heldOutLabels[i]!;
    if (!byLabel.has(label)) byLabel.set(label, []);
    byLabel.get(label)!.push(index);
  });
  const labels = [...byLabel.keys()].sort((a, b) => a - b);
  const withTwo = labels.filter((label) => byLabel.get(label)!.length >= 2);
  if (labels.length < 2 || withTwo.length === 0) return null;
  const rng = new Rng(hashSeed(options.seed, 0x9a125));
  const chosen: number[] = [];
  const issame: boolean[] = [];
  const genuine = Math.ceil(options.pairs / 2);
  for (let p = 0; p < options.pairs; p++) {
    if (p < genuine) {
      const images = byLabel.get(withTwo[rng.int(withTwo.length)]!)!;
      const a = rng.int(images.length);
      const b = (a + 1 + rng.int(images.length - 1)) % images.length;
      chosen.push(images[a]!, images[b]!);
      issame.push(true);
    } else {
      const a = rng.int(labels.length);
      const b = (a + 1 + rng.int(labels.length - 1)) % labels.length;
      const first = byLabel.get(labels[a]!)!;
      const second = byLabel.get(labels[b]!)!;
      chosen.push(first[rng.int(first.length)]!, second[rng.int(second.length)]!);
      issame.push(false);
    }
  }
  // Decode each distinct image once, unaugmented, at 112×112 (the aligned size the masker expects).
  const unique = Int32Array.from(new Set(chosen)).sort();
  const sampler = new SubsetSampler(unique, { batchSize: unique.length, seed: 0, shuffle: false, keepPartialBatch: true });
  const pipeline = new DataPipeline({ source: prepared.source, sampler, seed: 0, workers: 0, flip: false, mask: false, imageSize: [112, 112] });
  const raw = new Map<number, { data: Uint8Array; width: number; height: number; channels: 3 }>();
  try {
    for await (const batch of pipeline.batches({ epoch: 0, step: 0 }, 1)) {
      const pixels = batch.height * batch.width * 3;
      for (let i = 0; i < batch.size; i++) {
        const data = new Uint8Array(pixels);
        const values = batch.images.subarray(i * pixels, (i + 1) * pixels);
        // Inverse of the pipeline's (x/255 − 0.5)/0.5: exact integers back.
        for (let k = 0; k < pixels; k++) data[k] = Math.round((values[k]! * 0.5 + 0.5) * 255);
        raw.set(batch.indices[i]!, { data, width: batch.width, height: batch.height, channels: 3 });
      }
    }
  } finally {
    await pipeline.close();
  }
  const faces = chosen.map((index) => raw.get(index)!);
  const images: HeldOutPairs['images'] = {};
  for (const protocol of options.protocols) {
    const seen = applyVerificationProtocol(faces, protocol, { seed: hashSeed(options.seed, 0x3a5c) });
    images[protocol] = tf.tidy(() => {
      const tensor = rawImagesToTensor(seen);
      return options.imageSize === 112 ? tensor : tf.image.resizeBilinear(tensor, [options.imageSize, options.imageSize]);
    });
  }
  return { issame, images };
}

function summarize(protocol: 'standard' | 'masked', report: VerificationPairsReport): EvaluationSummary {
  return {
    protocol,
    accuracy: report.insightface.accuracyMean,
    areaUnderRoc: report.areaUnderRoc,
    equalErrorRate: report.equalErrorRate.rate,
    falseNonMatchRate: report.falseNonMatchRate
      .filter((point) => point.falseMatchRate >= 1e-3)
      .map((point) => ({ falseMatchRate: point.falseMatchRate, value: typeof point.value === 'number' ? point.value : null })),
  };
}

/**
 * Verifies `embed` (an eval-mode forward) on every protocol of `heldOut`.
 *
 * @example
 * const result = evaluateHeldOut((x) => model.forward(x), heldOut, { step: 100, epoch: 2, batchSize: 64 });
 */
export function evaluateHeldOut(
  embed: (images: tf.Tensor4D) => tf.Tensor2D,
  heldOut: HeldOutPairs,
  position: { step: number; epoch: number; batchSize: number },
): EvaluationResult {
  const reports: EvaluationResult['reports'] = {};
  const summaries: EvaluationSummary[] = [];
  for (const protocol of ['standard', 'masked'] as const) {
    const images = heldOut.images[protocol];
    if (images === undefined) continue;
    const report = evaluateVerificationPairs(embed, { images, issame: heldOut.issame }, { batchSize: position.batchSize });
    reports[protocol] = report;
    summaries.push(summarize(protocol, report));
  }
  return { step: position.step, epoch: position.epoch, pairs: heldOut.issame.length, summaries, reports };
}
