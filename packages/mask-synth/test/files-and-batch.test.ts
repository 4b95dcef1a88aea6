import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { alignFace } from '../src/align-face';
import { ARCFACE_TEMPLATE_112 } from '../src/arcface-template';
import { decodeImage } from '../src/decode-image';
import { encodeImage } from '../src/encode-image';
import { makeContactSheet } from '../src/make-contact-sheet';
import { maskBatch } from '../src/mask-batch';
import { maskImage } from '../src/mask-image';
import { landmarkFixture, photoPath, syntheticFace } from './helpers';

let directory: string;
let alignedJpeg: Buffer;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'mask-synth-'));
  const photo = await decodeImage(photoPath('demo/sample1.jpg'));
  alignedJpeg = await encodeImage(alignFace(photo, landmarkFixture.images['demo/sample1.jpg']!.faces[0]!.points).image, 'jpeg', 95);
  await writeFile(path.join(directory, 'aligned.jpg'), alignedJpeg);
  await writeFile(path.join(directory, 'empty.jpg'), Buffer.alloc(0));
  await writeFile(path.join(directory, 'truncated.jpg'), alignedJpeg.subarray(0, Math.floor(alignedJpeg.length / 2)));
  await writeFile(path.join(directory, 'notes.jpg'), 'this is not a picture');
});

async function codeOf(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('decodeImage', () => {
  it('names the input and the problem for bad files and buffers', async () => {
    const cases: [string, () => Promise<unknown>, string][] = [
      ['EMPTY_IMAGE', () => decodeImage(path.join(directory, 'empty.jpg')), 'empty.jpg'],
      ['EMPTY_IMAGE', () => decodeImage(Buffer.alloc(0)), 'buffer (0 bytes)'],
      ['TRUNCATED_IMAGE', () => decodeImage(path.join(directory, 'truncated.jpg')), 'truncated.jpg'],
      ['NOT_AN_IMAGE', () => decodeImage(path.join(directory, 'notes.jpg')), 'notes.jpg'],
      ['NOT_AN_IMAGE', () => decodeImage(Buffer.from('<html>no</html>')), 'buffer (15 bytes)'],
      ['FILE_NOT_FOUND', () => decodeImage(path.join(directory, 'missing.jpg')), 'missing.jpg'],
    ];
    for (const [code, run, name] of cases) {
      const error = await codeOf(run);
      expect(error.code, name).toBe(code);
      expect(error.message).toContain(name);
    }
  });
});

describe('maskImage', () => {
  it('masks a JPEG file and a JPEG buffer identically and deterministically', async () => {
    const fromFile = await maskImage(path.join(directory, 'aligned.jpg'), { seed: 3, synthesizer: 'natural' });
    const fromBuffer = await maskImage(alignedJpeg, { seed: 3, synthesizer: 'natural' });
    expect(fromFile.encoded.equals(fromBuffer.encoded)).toBe(true);
    expect(fromFile.metadata).toEqual(fromBuffer.metadata);
    const info = await sharp(fromFile.encoded).metadata();
    expect([info.format, info.width, info.height]).toEqual(['jpeg', 112, 112]);
    expect(fromFile.alpha).toHaveLength(112 * 112);
  });
});

describe('maskBatch', () => {
  it('writes the good inputs, reports the bad ones, and carries on', async () => {
    const out = path.join(directory, 'out');
    const report = await maskBatch(
      [
        { input: path.join(directory, 'aligned.jpg') },
        { input: path.join(directory, 'truncated.jpg') },
        { input: alignedJpeg, output: path.join(out, 'from-buffer.png') },
        { input: path.join(directory, 'notes.jpg') },
        {
          input: alignedJpeg,
          landmarks: [
            [1, 2],
            [3, 4],
          ],
          output: path.join(out, 'bad-landmarks.png'),
        },
        { input: path.join(directory, 'empty.jpg') },
        // ArcFace key points moved 80 px right (eyes off the 112x112 crop), and eyes and mouth on one line.
        { input: alignedJpeg, landmarks: ARCFACE_TEMPLATE_112.map(([x, y]) => [x + 80, y] as [number, number]), output: path.join(out, 'outside.png') },
        {
          input: alignedJpeg,
          landmarks: [
            [30, 50],
            [80, 50],
            [55, 50],
            [40, 51],
            [70, 51],
          ],
          output: path.join(out, 'flat.png'),
        },
      ],
      { seed: 1, synthesizer: 'textured', outputDirectory: out, format: 'png', concurrency: 2 },
    );
    expect(report.results.map((result) => result.index)).toEqual([0, 2]);
    expect(report.failures.map((failure) => [failure.index, failure.error.code])).toEqual([
      [1, 'TRUNCATED_IMAGE'],
      [3, 'NOT_AN_IMAGE'],
      [4, 'LANDMARKS_WRONG_COUNT'],
      [5, 'EMPTY_IMAGE'],
      [6, 'LANDMARKS_OUTSIDE_IMAGE'],
      [7, 'LANDMARKS_DEGENERATE'],
    ]);
    // Every failure names its input.
    for (const failure of report.failures)
      expect(failure.error.message).toContain(failure.input.startsWith('buffer') ? 'buffer' : path.basename(failure.input));
    expect((await readdir(out)).sort()).toEqual(['aligned.png', 'from-buffer.png']);
    const written = await sharp(await readFile(path.join(out, 'aligned.png'))).metadata();
    expect([written.format, written.width]).toEqual(['png', 112]);
  });
});

describe('makeContactSheet', () => {
  it('lays out N faces x {original, textured, natural} as a PNG', async () => {
    const png = await makeContactSheet([{ image: syntheticFace() }, { image: alignedJpeg }], { seed: 1, cellSize: 64, gap: 2 });
    const info = await sharp(png).metadata();
    // 3 columns: 3 * 64 + 4 * 2 = 200 wide; 2 rows: 2 * 64 + 3 * 2 = 134 high.
    expect([info.format, info.width, info.height]).toEqual(['png', 200, 134]);
  });
});
