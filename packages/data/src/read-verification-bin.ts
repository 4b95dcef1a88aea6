import { readFile } from 'node:fs/promises';
import { BigFaceError } from '@bigface/backend/errors';
import { parsePickle, type PickleValue } from './parse-pickle';

/** An insightface verification set: image `2i` and `2i+1` form pair `i`. */
export interface VerificationSet {
  /** Encoded images (JPEG), two per pair. */
  images: Buffer[];
  /** `issame[i]`: whether pair i shows one person. */
  issame: boolean[];
}

/**
 * Reads an insightface verification `.bin` (lfw.bin, cfp_fp.bin, agedb_30.bin, ...): a pickle of
 * `(list of JPEG bytes, list of issame)`. The pickle is parsed as data only ({@link parsePickle}).
 *
 * @example
 * import { readVerificationBin } from '@bigface/data';
 * const { images, issame } = await readVerificationBin('lfw.bin'); // images.length === 2 * issame.length
 */
export async function readVerificationBin(binPath: string): Promise<VerificationSet> {
  let bytes: Buffer;
  try {
    bytes = await readFile(binPath);
  } catch (cause) {
    throw new BigFaceError('VERIFICATION_FILE_NOT_FOUND', `readVerificationBin: cannot read '${binPath}': ${(cause as Error).message}`, { cause });
  }
  return parseVerificationBin(bytes, binPath);
}

/** {@link readVerificationBin} on bytes already in memory. */
export function parseVerificationBin(bytes: Buffer, fileName = 'verification.bin'): VerificationSet {
  const value = parsePickle(bytes, fileName);
  const invalid = (what: string): never => {
    throw new BigFaceError(
      'VERIFICATION_FILE_INVALID',
      `${fileName}: ${what}; expected a pickle of (list of JPEG bytes, list of issame booleans) as insightface writes`,
    );
  };
  const parts = isTuple(value) ? value.tuple : Array.isArray(value) ? value : invalid('the pickle is not a tuple');
  if (parts.length !== 2) invalid(`the tuple has ${parts.length} items, not 2`);
  const [images, issame] = parts as [PickleValue, PickleValue];
  const imageList = listOf(images) ?? invalid('the first item is not a list');
  const issameList = listOf(issame) ?? invalid('the second item is not a list');
  const buffers = imageList.map((image, index) => (Buffer.isBuffer(image) ? image : invalid(`image ${index} is not bytes`)));
  const flags = issameList.map((flag, index) =>
    typeof flag === 'boolean' ? flag : flag === 0 || flag === 1 ? flag === 1 : invalid(`issame ${index} is not a boolean`),
  );
  if (buffers.length !== 2 * flags.length) invalid(`${buffers.length} images for ${flags.length} pairs (need two per pair)`);
  return { images: buffers, issame: flags };
}

function isTuple(value: PickleValue): value is { tuple: PickleValue[] } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && 'tuple' in value;
}

function listOf(value: PickleValue): PickleValue[] | null {
  if (Array.isArray(value)) return value;
  if (isTuple(value)) return value.tuple;
  return null;
}
