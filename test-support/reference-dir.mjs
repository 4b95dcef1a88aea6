// The one place that says where tests and benchmarks find the PyTorch/insightface reference data:
// the repository's own test-support/reference/ (so a fresh clone tests itself), or the folder named
// by BIGFACE_REFERENCE_DIR (to run the same tests on other reference files of the same schema).
// Plain JavaScript so that benchmarks (.mjs run by node) use it too; types in reference-dir.d.mts.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test-support/reference/ of this repository, ending in '/'. */
export const REPOSITORY_REFERENCE_DIR = fileURLToPath(new URL('./reference/', import.meta.url));

const override = process.env.BIGFACE_REFERENCE_DIR;

/** The reference folder in use, absolute, ending in '/'. */
export const REFERENCE_DIR = override ? `${resolve(override).replace(/\/$/, '')}/` : REPOSITORY_REFERENCE_DIR;

/** Absolute path of a reference file; an error naming the file and the fix when it is not there. */
export function referenceFile(name) {
  const path = join(REFERENCE_DIR, name);
  if (!existsSync(path)) {
    throw new Error(
      override
        ? `reference file '${path}' not found: BIGFACE_REFERENCE_DIR=${override} has no '${name}'; copy it there from test-support/reference/, or unset BIGFACE_REFERENCE_DIR to use the repository's own reference data`
        : `reference file '${path}' not found: it belongs to the repository (test-support/reference/${name}); restore it with 'git checkout -- test-support/reference/${name}', or set BIGFACE_REFERENCE_DIR to a folder that has it`,
    );
  }
  return path;
}
