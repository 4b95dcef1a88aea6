import { createHash } from 'node:crypto';

/**
 * A fingerprint of a set of sample ids (order does not matter): sha256 of the sorted ids as
 * little-endian float64, hex. Two datasets with the same ids in another order share it.
 *
 * @example
 * idsFingerprint([3, 1, 2]) === idsFingerprint([1, 2, 3]); // true
 */
export function idsFingerprint(ids: ArrayLike<number>): string {
  const sorted = Float64Array.from(ids).sort();
  return createHash('sha256')
    .update(new Uint8Array(sorted.buffer, sorted.byteOffset, sorted.byteLength))
    .digest('hex');
}
