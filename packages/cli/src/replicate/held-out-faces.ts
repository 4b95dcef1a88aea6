import { BigFaceError } from '@bigface/backend/errors';
import type { PreparedDataset } from '@bigface/train';
import type { RawImage } from '@bigface/mask-synth';

/** Decoded faces of the held-out identities and their labels. */
export interface HeldOutFaces {
  faces: RawImage[];
  labels: Int32Array;
}

/**
 * The first `perIdentity` images of every held-out identity of a prepared dataset, decoded (aligned
 * 112×112, unaugmented): the faces that every arm of a seed is verified on.
 */
export async function readHeldOutFaces(prepared: PreparedDataset, perIdentity: number): Promise<HeldOutFaces> {
  const { RecordDataset } = await import('@bigface/data');
  const { decodeImage } = await import('@bigface/mask-synth');
  if (prepared.source.format !== 'recordio') {
    throw new BigFaceError(
      'UNSUPPORTED',
      `readHeldOutFaces: verification reads held-out faces from RecordIO data (SynthFaces or a packed dataset), got '${prepared.source.format}' data`,
    );
  }
  const taken = new Map<number, number>();
  const chosen: number[] = [];
  const labels: number[] = [];
  prepared.heldOutIndices.forEach((index, i) => {
    const label = prepared.heldOutLabels[i]!;
    const count = taken.get(label) ?? 0;
    if (count >= perIdentity) return;
    taken.set(label, count + 1);
    chosen.push(index);
    labels.push(label);
  });
  const dataset = RecordDataset.open(prepared.source.recordPath);
  try {
    const faces: RawImage[] = [];
    for (const index of chosen) faces.push(await decodeImage(dataset.read(index).image, `held-out image ${index}`));
    return { faces, labels: Int32Array.from(labels) };
  } finally {
    dataset.close();
  }
}
