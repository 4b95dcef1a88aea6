import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, memoryIo, run } from '@bigface/cli';

const root = mkdtempSync(path.join(tmpdir(), 'bigface-cli-distill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(argv: string[]) {
  const io = memoryIo({ cwd: root });
  const code = await run(argv, io);
  return { code, out: io.output(), err: io.errors() };
}

const tiny = [
  '--world-size',
  '1',
  '--batch',
  '4',
  '--steps',
  '1',
  '--set',
  'data.identities=4',
  '--set',
  'data.imagesPerIdentity=2',
  '--set',
  'evaluation.heldOutIdentities=0',
];

describe('bigface distill: configuration errors exit 2', () => {
  it('a teacher that embeds in another size is a configuration error (DISTILL_EMBEDDING_MISMATCH, exit 2) naming both sizes', async () => {
    const teacher = await cli(['train', '--config', 'synth-tiny-cosface', '--output', 'teacher', ...tiny, '--set', 'model.embeddingSize=32']);
    expect(teacher.code, teacher.err).toBe(EXIT_CODES.ok);
    const student = await cli(['distill', '--config', 'synth-tiny-cosface', '--output', 'student', '--teacher', 'teacher', ...tiny]);
    expect(student.err).toContain('DISTILL_EMBEDDING_MISMATCH');
    expect(student.err).toContain('the teacher embeds in 32 dimensions, the student (model.embeddingSize) in 64');
    expect(student.code).toBe(EXIT_CODES.usage);
  });
});
