import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';

/** One verification pair: two image paths and whether they show one person. */
export interface VerificationPair {
  first: string;
  second: string;
  issame: boolean;
}

/** Options of {@link readPairsFile}. */
export interface ReadPairsFileOptions {
  /** Folder of the images, laid out `<root>/<name>/<name>_<NNNN>.<extension>` as LFW (default: the pairs file's folder). */
  imageRoot?: string;
  /** Image extension for LFW-style lines (default `jpg`). */
  extension?: string;
}

/**
 * Reads a verification pair list. Two line forms are accepted (blank lines and `#` comments skipped;
 * a first line of one or two integers is LFW's `folds pairs-per-fold` header):
 * - LFW `pairs.txt`: `name i j` (same person) and `name1 i name2 j` (different people);
 * - explicit: `path1 path2 issame` with issame `1`/`0`/`true`/`false`.
 *
 * @example
 * import { readPairsFile } from '@bigface/data';
 * const pairs = await readPairsFile('lfw/pairs.txt', { imageRoot: 'lfw/lfw-112x112' });
 */
export async function readPairsFile(pairsPath: string, options: ReadPairsFileOptions = {}): Promise<VerificationPair[]> {
  let text: string;
  try {
    text = await readFile(pairsPath, 'utf8');
  } catch (cause) {
    throw new BigFaceError('PAIRS_FILE_NOT_FOUND', `readPairsFile: cannot read '${pairsPath}': ${(cause as Error).message}`, { cause });
  }
  const root = options.imageRoot ?? path.dirname(pairsPath);
  const extension = options.extension ?? 'jpg';
  const lfwPath = (name: string, number: string) => path.join(root, name, `${name}_${number.padStart(4, '0')}.${extension}`);
  const pairs: VerificationPair[] = [];
  const lines = text.split(/\r?\n/);
  for (let lineNumber = 0; lineNumber < lines.length; lineNumber++) {
    const line = lines[lineNumber]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const isInteger = (field: string) => /^\d+$/.test(field);
    if (pairs.length === 0 && fields.length <= 2 && fields.every(isInteger)) continue; // header
    if (fields.length === 3 && isInteger(fields[1]!) && isInteger(fields[2]!)) {
      pairs.push({ first: lfwPath(fields[0]!, fields[1]!), second: lfwPath(fields[0]!, fields[2]!), issame: true });
    } else if (fields.length === 4 && isInteger(fields[1]!) && isInteger(fields[3]!)) {
      pairs.push({ first: lfwPath(fields[0]!, fields[1]!), second: lfwPath(fields[2]!, fields[3]!), issame: false });
    } else if (fields.length === 3 && /^(0|1|true|false)$/i.test(fields[2]!)) {
      pairs.push({ first: path.resolve(root, fields[0]!), second: path.resolve(root, fields[1]!), issame: /^(1|true)$/i.test(fields[2]!) });
    } else {
      throw new BigFaceError(
        'PAIRS_FILE_INVALID',
        `${pairsPath}:${lineNumber + 1}: cannot read '${line.slice(0, 80)}'; expected 'name i j', 'name1 i name2 j' (LFW) or 'path1 path2 issame'`,
      );
    }
  }
  return pairs;
}
