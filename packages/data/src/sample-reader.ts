import { readFileSync } from 'node:fs';
import { BigFaceError } from '@bigface/backend/errors';
import type { DatasetSource, EncodedSample } from './dataset-source';
import { RecordDataset } from './record-dataset';

/** Random access to the encoded samples of a {@link DatasetSource}. Internal. */
export interface SampleReader {
  readonly length: number;
  read(index: number): EncodedSample;
  close(): void;
}

/** Opens a source in this thread (each pipeline worker opens its own). */
export function openSampleReader(source: DatasetSource): SampleReader {
  if (source.format === 'recordio') return RecordDataset.open(source.recordPath, { indexPath: source.indexPath });
  if (source.format === 'files') {
    const samples = source.samples;
    return {
      length: samples.length,
      read(index) {
        const sample = samples[index];
        if (sample === undefined) throw new BigFaceError('INDEX_OUT_OF_RANGE', `file list: sample index ${index} is out of range [0, ${samples.length})`);
        let image: Buffer;
        try {
          image = readFileSync(sample.path);
        } catch (cause) {
          throw new BigFaceError('IMAGE_NOT_FOUND', `cannot read '${sample.path}' (sample ${index}): ${(cause as Error).message}`, { cause });
        }
        return { image, label: sample.label, origin: sample.path };
      },
      close() {},
    };
  }
  throw new BigFaceError('INVALID_ARGUMENT', `unknown dataset source format '${(source as { format: string }).format}': choose recordio or files`);
}
