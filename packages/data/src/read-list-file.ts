import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';

/**
 * Reads a list file of `path label` lines (space or tab separated; `#` comments and blank lines
 * ignored). Relative paths are resolved against the list file's folder.
 *
 * @example
 * import { readListFile } from '@bigface/data';
 * const samples = await readListFile('train.lst'); // [{ path: '/data/a/1.jpg', label: 0 }, ...]
 */
export async function readListFile(listPath: string): Promise<{ path: string; label: number }[]> {
  let text: string;
  try {
    text = await readFile(listPath, 'utf8');
  } catch (cause) {
    throw new BigFaceError('LIST_FILE_NOT_FOUND', `readListFile: cannot read '${listPath}': ${(cause as Error).message}`, { cause });
  }
  const base = path.dirname(listPath);
  const samples: { path: string; label: number }[] = [];
  const lines = text.split(/\r?\n/);
  for (let lineNumber = 0; lineNumber < lines.length; lineNumber++) {
    const line = lines[lineNumber]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(.*\S)\s+(-?\d+)$/.exec(line);
    const label = match ? Number(match[2]) : NaN;
    if (!match || !Number.isSafeInteger(label) || label < 0) {
      throw new BigFaceError(
        'LIST_FILE_INVALID',
        `${listPath}:${lineNumber + 1}: expected '<path> <label>' with a non-negative integer label, got '${line.slice(0, 80)}'`,
      );
    }
    samples.push({ path: path.resolve(base, match[1]!), label });
  }
  return samples;
}
