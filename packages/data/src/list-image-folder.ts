import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';

/** Image file extensions {@link listImageFolder} picks up (lower case). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff'];

/** An image-folder dataset: samples with labels, and the folder name of each label. */
export interface ImageFolderListing {
  samples: { path: string; label: number }[];
  /** `classNames[label]` is the identity's folder name. */
  classNames: string[];
}

/**
 * Lists a dataset laid out as one folder per identity (`root/<identity>/<image>`); identities are
 * numbered in sorted folder-name order, images sorted by name, so the result is the same on every machine.
 *
 * @example
 * import { listImageFolder } from '@bigface/data';
 * const { samples, classNames } = await listImageFolder('faces/');
 */
export async function listImageFolder(root: string): Promise<ImageFolderListing> {
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (cause) {
    throw new BigFaceError(
      'IMAGE_FOLDER_NOT_FOUND',
      `listImageFolder: cannot read '${root}': ${(cause as Error).message}; pass a folder with one sub-folder per identity`,
      { cause },
    );
  }
  const classNames = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const samples: ImageFolderListing['samples'] = [];
  for (let label = 0; label < classNames.length; label++) {
    const folder = path.join(root, classNames[label]!);
    const files = (await readdir(folder, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.includes(path.extname(entry.name).toLowerCase()))
      .map((entry) => entry.name)
      .sort();
    for (const file of files) samples.push({ path: path.join(folder, file), label });
  }
  if (samples.length === 0) {
    throw new BigFaceError(
      'IMAGE_FOLDER_EMPTY',
      `listImageFolder: '${root}' has no images in sub-folders (looked for ${IMAGE_EXTENSIONS.join(', ')}); put each identity's images in its own folder`,
    );
  }
  return { samples, classNames };
}
