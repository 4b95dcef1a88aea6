/**
 * The one error class of BigFace. Every package throws it (or a subclass) with a stable
 * `code` that programs can switch on, and a message that says what was wrong and how to fix it.
 *
 * @example
 * throw new BigFaceError('UNKNOWN_BACKBONE', "unknown backbone 'r55': choose one of r18, r34, r50");
 */
export class BigFaceError extends Error {
  /** A stable, upper-snake-case identifier such as `BACKEND_NOT_INSTALLED`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BigFaceError';
    this.code = code;
  }
}

/** Throws a {@link BigFaceError} with `code` when `condition` is false; the message is built only on failure. */
export function assertArgument(condition: unknown, code: string, message: () => string): asserts condition {
  if (!condition) throw new BigFaceError(code, message());
}

/** True when `error` is a {@link BigFaceError}, optionally with the given code (works across package copies). */
export function isBigFaceError(error: unknown, code?: string): error is BigFaceError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  return candidate.name === 'BigFaceError' && typeof candidate.code === 'string' && (code === undefined || candidate.code === code);
}
