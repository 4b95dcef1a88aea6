import { listImageFolder } from './list-image-folder';
import { packRecordDataset, type PackRecordDatasetOptions, type PackRecordDatasetResult } from './pack-record-dataset';

/**
 * The pack tool: an image folder (one sub-folder per identity, aligned crops) to an insightface
 * RecordIO training set (`.rec`, `.idx`, `property`). Identity numbers follow sorted folder names.
 *
 * @example
 * import { packImageFolder } from '@bigface/data';
 * const { numImages, numClasses, classNames } = await packImageFolder('faces/', 'out/train.rec');
 */
export async function packImageFolder(
  root: string,
  recordPath: string,
  options: PackRecordDatasetOptions = {},
): Promise<PackRecordDatasetResult & { classNames: string[] }> {
  const { samples, classNames } = await listImageFolder(root);
  const result = await packRecordDataset(
    samples.map((sample) => ({ image: sample.path, label: sample.label })),
    recordPath,
    options,
  );
  return { ...result, classNames };
}
