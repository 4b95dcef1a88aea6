import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BigFaceError } from '@bigface/backend/errors';
import { describe, expect, it } from 'vitest';
import { ERROR_CLASSES, EXIT_CODES, exitCodeFor } from './exit-codes';

const packagesRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Upper-snake-case string literals in the packages' sources that are not error codes. */
const NOT_ERROR_CODES = new Set([
  'BIGFACE_BACKEND', // environment variable
  'ERR_MODULE_NOT_FOUND', // Node's error codes
  'MODULE_NOT_FOUND',
  'EMPTY_DICT', // pickle opcodes
  'EMPTY_SET',
  'NEWOBJ_EX',
  'NEXT_BUFFER',
  'STACK_GLOBAL',
]);

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts)$/.test(name) && !/\.test\.|\.d\.ts$/.test(name) ? [path] : [];
  });
}

/** Every error code the packages' sources can throw: first arguments of `new BigFaceError(` and upper-snake-case literals. */
function thrownCodes(): Set<string> {
  const codes = new Set<string>();
  for (const name of readdirSync(packagesRoot)) {
    const source = join(packagesRoot, name, 'src');
    if (!statSync(join(packagesRoot, name)).isDirectory()) continue;
    let files: string[];
    try {
      files = sourceFiles(source);
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/BigFaceError\(\s*'([A-Z][A-Z0-9_]*)'/g)) codes.add(match[1]!);
      for (const match of text.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)) if (!NOT_ERROR_CODES.has(match[1]!)) codes.add(match[1]!);
    }
  }
  return codes;
}

describe('exitCodeFor', () => {
  it('maps codes through the table', () => {
    expect(exitCodeFor(new BigFaceError('CONFIG_INVALID', 'x'))).toBe(EXIT_CODES.usage);
    expect(exitCodeFor(new BigFaceError('USAGE_ERROR', 'x'))).toBe(2);
    expect(exitCodeFor(new BigFaceError('UNKNOWN_BACKBONE', 'x'))).toBe(2);
    expect(exitCodeFor(new BigFaceError('DISTILL_EMBEDDING_MISMATCH', 'x'))).toBe(2);
    expect(exitCodeFor(new BigFaceError('RESUME_CLASSES_CHANGED', 'x'))).toBe(2);
    expect(exitCodeFor(new BigFaceError('RECORD_TRUNCATED', 'x'))).toBe(EXIT_CODES.data);
    expect(exitCodeFor(new BigFaceError('CHECKPOINT_NOT_FOUND', 'x'))).toBe(3);
    expect(exitCodeFor(new BigFaceError('IMAGE_DECODE_FAILED', 'x'))).toBe(3);
    expect(exitCodeFor(new BigFaceError('INTERRUPTED', 'x'))).toBe(130);
    expect(exitCodeFor(new BigFaceError('NON_FINITE_LOSS', 'x'))).toBe(EXIT_CODES.failure);
    expect(exitCodeFor(new BigFaceError('SOME_FUTURE_CODE', 'x'))).toBe(1);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
  });

  it('gives a failed rank the exit code of the error that failed it', () => {
    const inner = new BigFaceError('RECORD_TRUNCATED', 'x');
    expect(exitCodeFor(new BigFaceError('RANK_FAILED', 'rank 1 failed', { cause: inner }))).toBe(3);
    expect(exitCodeFor(new BigFaceError('RANK_FAILED', 'rank 1 died'))).toBe(1);
  });

  it('classifies every code the packages throw, and lists no code that none throws', () => {
    const thrown = thrownCodes();
    expect(thrown.size).toBeGreaterThan(100);
    const unclassified = [...thrown].filter((code) => code !== 'INTERRUPTED' && !(code in ERROR_CLASSES)).sort();
    expect(unclassified, 'add these codes to ERROR_CLASSES in cli/src/exit-codes.ts').toEqual([]);
    const stale = Object.keys(ERROR_CLASSES)
      .filter((code) => !thrown.has(code))
      .sort();
    expect(stale, 'no package throws these codes any more: remove them from ERROR_CLASSES').toEqual([]);
  });
});
