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

/** Levenshtein distance, case-insensitive (for "did you mean" hints). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (x[i - 1] === y[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[y.length]!;
}

/**
 * The closest candidate to `name` when it is close enough to be a typo (or a prefix), else null: the
 * one "did you mean" of BigFace (CLI commands, presets, config keys).
 *
 * @example
 * didYouMean('trian', ['train', 'eval']); // 'train'
 */
export function didYouMean(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = candidate.startsWith(name) && name.length >= 2 ? 0.5 : editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== null && bestDistance <= limit ? best : null;
}
