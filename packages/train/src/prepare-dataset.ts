import { existsSync } from 'node:fs';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend';
import { generateSynthFaces, listImageFolder, RecordDataset, type DatasetSource } from '@bigface/data';
import type { TrainConfig } from './config';

/** A training set split into trained and held-out identities; plain data (ranks receive it). */
export interface PreparedDataset {
  source: DatasetSource;
  /** Dataset indices of the training images (labels < numClasses). */
  trainIndices: Int32Array;
  /** Identities trained on: labels 0..numClasses-1. */
  numClasses: number;
  /** Dataset indices and labels of the held-out identities' images (labels >= numClasses). */
  heldOutIndices: Int32Array;
  heldOutLabels: Int32Array;
  /** A short description for logs, e.g. `synth 64×8 (+16 held out)`. */
  description: string;
}

function labelsOfRecordIo(recordPath: string): { source: DatasetSource; labels: Int32Array } {
  if (!existsSync(recordPath)) {
    throw new BigFaceError('DATA_NOT_FOUND', `data.path: RecordIO file '${recordPath}' does not exist; give the path of train.rec (with train.idx beside it)`);
  }
  const dataset = RecordDataset.open(recordPath);
  try {
    const labels = new Int32Array(dataset.length);
    for (let i = 0; i < labels.length; i++) labels[i] = dataset.read(i).label;
    return { source: dataset.source, labels };
  } finally {
    dataset.close();
  }
}

/**
 * Resolves `config.data` into a dataset (generating SynthFaces into its cache when needed) and
 * splits it: the last `evaluation.heldOutIdentities` identities (by label) are held out for
 * verification, the rest are trained on. SynthFaces generates the held-out identities in addition
 * to `data.identities`, so they are disjoint by construction. Labels must be 0..C-1.
 *
 * @example
 * const prepared = await prepareDataset(resolveTrainConfig({ data: { source: 'synth', identities: 8 } }));
 * prepared.numClasses; // 8
 */
export async function prepareDataset(config: TrainConfig): Promise<PreparedDataset> {
  const heldOut = config.evaluation.heldOutIdentities;
  const { data } = config;
  let source: DatasetSource;
  let labels: Int32Array;
  let description: string;
  if (data.source === 'synth') {
    const identities = data.identities + heldOut;
    const directory = path.resolve(data.cacheDir, `synth-${identities}x${data.imagesPerIdentity}-seed${config.seed}`);
    const recordPath = path.join(directory, 'train.rec');
    if (!existsSync(path.join(directory, 'property'))) {
      await generateSynthFaces({ identities, imagesPerIdentity: data.imagesPerIdentity, seed: config.seed, directory });
    }
    source = { format: 'recordio', recordPath, indexPath: path.join(directory, 'train.idx') };
    // SynthFaces writes identity i's images at i*K .. i*K+K-1.
    labels = Int32Array.from({ length: identities * data.imagesPerIdentity }, (_, i) => Math.floor(i / data.imagesPerIdentity));
    description = `synth ${data.identities}×${data.imagesPerIdentity}${heldOut > 0 ? ` (+${heldOut} held out)` : ''}`;
  } else if (data.source === 'recordio') {
    ({ source, labels } = labelsOfRecordIo(path.resolve(data.path)));
    description = `recordio ${data.path}`;
  } else {
    if (!existsSync(data.path))
      throw new BigFaceError('DATA_NOT_FOUND', `data.path: image folder '${data.path}' does not exist; give a folder with one sub-folder per identity`);
    const listing = await listImageFolder(path.resolve(data.path));
    source = { format: 'files', samples: listing.samples };
    labels = Int32Array.from(listing.samples, (sample) => sample.label);
    description = `folder ${data.path}`;
  }
  let classes = 0;
  for (const label of labels) {
    if (label < 0) throw new BigFaceError('DATA_BAD_LABEL', `data: a sample has label ${label}; training labels must be 0..C-1`);
    classes = Math.max(classes, label + 1);
  }
  const numClasses = classes - heldOut;
  if (numClasses < 2) {
    throw new BigFaceError(
      'DATA_TOO_SMALL',
      `data: ${classes} identities, ${heldOut} held out for evaluation leaves ${numClasses} to train on; lower evaluation.heldOutIdentities or use more identities`,
    );
  }
  const train: number[] = [];
  const heldOutIndices: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i]! < numClasses ? train : heldOutIndices).push(i);
  return {
    source,
    trainIndices: Int32Array.from(train),
    numClasses,
    heldOutIndices: Int32Array.from(heldOutIndices),
    heldOutLabels: Int32Array.from(heldOutIndices, (i) => labels[i]!),
    description,
  };
}
