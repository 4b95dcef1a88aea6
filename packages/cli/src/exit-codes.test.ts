import { BigFaceError } from '@bigface/backend/errors';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeFor } from './exit-codes';

describe('exitCodeFor', () => {
  it('maps error families to the exit codes', () => {
    expect(exitCodeFor(new BigFaceError('CONFIG_INVALID', 'x'))).toBe(EXIT_CODES.usage);
    expect(exitCodeFor(new BigFaceError('USAGE_ERROR', 'x'))).toBe(2);
    expect(exitCodeFor(new BigFaceError('UNKNOWN_BACKBONE', 'x'))).toBe(2);
    expect(exitCodeFor(new BigFaceError('RECORD_TRUNCATED', 'x'))).toBe(EXIT_CODES.data);
    expect(exitCodeFor(new BigFaceError('CHECKPOINT_NOT_FOUND', 'x'))).toBe(3);
    expect(exitCodeFor(new BigFaceError('IMAGE_DECODE_FAILED', 'x'))).toBe(3);
    expect(exitCodeFor(new BigFaceError('INTERRUPTED', 'x'))).toBe(130);
    expect(exitCodeFor(new BigFaceError('NON_FINITE_LOSS', 'x'))).toBe(EXIT_CODES.failure);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
  });
});
