import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, memoryIo, run } from '@bigface/cli';

const require = createRequire(import.meta.url);
const demo = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const root = mkdtempSync(path.join(tmpdir(), 'bigface-cli-mask-photos-'));

beforeAll(async () => {
  mkdirSync(path.join(root, 'photos'), { recursive: true });
  for (const sample of [2, 5])
    writeFileSync(
      path.join(root, 'photos', `sample${sample}.jpg`),
      await sharp(path.join(demo, `sample${sample}.jpg`))
        .resize(480)
        .jpeg()
        .toBuffer(),
    );
  writeFileSync(
    path.join(root, 'photos', 'wall.png'),
    await sharp({ create: { width: 200, height: 150, channels: 3, background: { r: 200, g: 200, b: 190 } } })
      .png()
      .toBuffer(),
  );
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bigface mask on raw photos', () => {
  it('finds the faces itself, masks every one, reports the photo without a face, and draws the contact sheet from the photos', async () => {
    const io = memoryIo({ cwd: root });
    const code = await run(['mask', 'photos', '--output', 'masked', '--ratio', '1', '--seed', '2', '--workers', '1'], io);
    // The photo without a face is a data error for its file (exit 3); the others are written.
    expect(code, io.errors()).toBe(EXIT_CODES.data);
    expect(io.errors()).toContain('wall.png');
    expect(io.errors()).toContain('no face found');
    const manifest = readFileSync(path.join(root, 'masked/masks.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(manifest.map((line) => [line.input, line.mask.faces.length])).toEqual([
      ['sample2.jpg', 3],
      ['sample5.jpg', 5],
    ]);
    expect(await sharp(path.join(root, 'masked/sample5.jpg')).metadata()).toMatchObject({ width: 480 });
    const sheet = await sharp(path.join(root, 'masked-contact-sheet.png')).metadata();
    // Two rows (the photo without a face is left out), three columns of 112 + gaps.
    expect([sheet.width, sheet.height]).toEqual([3 * 112 + 4 * 4, 2 * 112 + 3 * 4]);
  });
});
