// Where tests find the PyTorch/insightface reference data: ../shared/reference beside the checkout
// (as CI lays it out), or BIGFACE_REFERENCE_DIR.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The reference folder, ending in '/'. */
export const REFERENCE_DIR = process.env.BIGFACE_REFERENCE_DIR
  ? `${process.env.BIGFACE_REFERENCE_DIR.replace(/\/$/, '')}/`
  : fileURLToPath(new URL('../../shared/reference/', import.meta.url));

/** Absolute path of a reference file; a clear error when the folder is not where it should be. */
export function referenceFile(name: string): string {
  const path = join(REFERENCE_DIR, name);
  if (!existsSync(path)) {
    throw new Error(`reference file '${path}' not found: put the shared reference folder beside the checkout (../shared/reference) or set BIGFACE_REFERENCE_DIR`);
  }
  return path;
}
