import type { ScoredPairs } from '@bigface/eval';
import type { PreparedDataset } from '@bigface/train';
import { readHeldOutFaces } from './held-out-faces';

/** What {@link verifyRuns} measured: the scored pairs (scores named `run/protocol`) and their sizes. */
export interface VerifiedRuns {
  set: ScoredPairs;
  identities: number;
  faces: number;
  genuine: number;
  impostors: number;
}

/**
 * Verifies trained runs on the same held-out identity pairs: the first `facesPerIdentity` faces of
 * every held-out identity, every genuine pair among them and `impostors` seeded impostor pairs; each
 * face embedded once per run, plain and masked (@bigface/eval `scoreIdentityPairs`). Scores are named
 * `<run name>/standard` and `<run name>/masked`. The backend must be initialised.
 */
export async function verifyRuns(
  prepared: PreparedDataset,
  runs: readonly { name: string; directory: string }[],
  options: { facesPerIdentity: number; impostors: number; seed: number; imageSize: number; onFaces?(summary: Omit<VerifiedRuns, 'set'>): void },
): Promise<VerifiedRuns> {
  const { tf } = await import('@bigface/backend');
  const { loadTrainedBackbone } = await import('@bigface/train');
  const evaluation = await import('@bigface/eval');
  const { faces, labels } = await readHeldOutFaces(prepared, options.facesPerIdentity);
  const pairs = evaluation.sampleIdentityPairs(labels, { impostors: options.impostors, seed: options.seed });
  const genuine = pairs.issame.filter(Boolean).length;
  const summary = { identities: new Set(labels).size, faces: faces.length, genuine, impostors: pairs.issame.length - genuine };
  options.onFaces?.(summary);
  const images = evaluation.prepareIdentityPairImages(faces, { seed: options.seed, imageSize: options.imageSize });
  const scores: Record<string, Float64Array> = {};
  try {
    for (const run of runs) {
      const backbone = loadTrainedBackbone(run.directory);
      try {
        const result = evaluation.scoreIdentityPairs((x) => backbone.forward(x), images, pairs, { batchSize: 256 });
        scores[`${run.name}/standard`] = result.standard;
        scores[`${run.name}/masked`] = result.masked;
      } finally {
        backbone.dispose();
      }
    }
  } finally {
    tf.dispose([images.plain, images.masked]);
  }
  return { set: { ...pairs, scores }, ...summary };
}
