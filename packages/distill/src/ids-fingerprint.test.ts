import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idsFingerprint } from './ids-fingerprint';

describe('idsFingerprint', () => {
  it('is sha256 of the sorted ids as little-endian float64, whatever their order', () => {
    // Independent encoding: 1, 2, 3 as float64 LE written by a DataView.
    const bytes = new DataView(new ArrayBuffer(24));
    [1, 2, 3].forEach((id, index) => {
      bytes.setFloat64(index * 8, id, true);
    });
    const expected = createHash('sha256').update(new Uint8Array(bytes.buffer)).digest('hex');
    expect(idsFingerprint([3, 1, 2])).toBe(expected);
    expect(idsFingerprint([1, 2, 4])).not.toBe(expected);
  });
});
