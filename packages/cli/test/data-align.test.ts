import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, memoryIo, run } from '@bigface/cli';
import { RecordDataset } from '@bigface/data';

const require = createRequire(import.meta.url);
const demo = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const root = mkdtempSync(path.join(tmpdir(), 'bigface-cli-align-'));
const photos = path.join(root, 'photos');

async function cli(argv: string[]) {
  const io = memoryIo({ cwd: root });
  const code = await run(argv, io);
  return { code, out: io.output(), err: io.errors() };
}

beforeAll(async () => {
  for (const [identity, sample] of [
    ['ann', 1],
    ['ben', 5],
  ] as const) {
    mkdirSync(path.join(photos, identity), { recursive: true });
    writeFileSync(
      path.join(photos, identity, `sample${sample}.jpg`),
      await sharp(path.join(demo, `sample${sample}.jpg`))
        .resize(480)
        .jpeg()
        .toBuffer(),
    );
  }
  writeFileSync(
    path.join(photos, 'ben', 'sky.png'),
    await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: 120, g: 170, b: 230 } } })
      .png()
      .toBuffer(),
  );
  writeFileSync(path.join(photos, 'ben', 'broken.jpg'), Buffer.from('not a jpeg at all'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bigface data align', () => {
  it('writes the largest face of each photo into a RecordIO that bigface train reads, lists the photo without a face and names the broken one', async () => {
    const { code, out, err } = await cli(['data', 'align', 'photos', '-o', 'packed/train.rec', '--workers', '1', '--json']);
    expect(code, err).toBe(EXIT_CODES.ok);
    const result = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((line) => line.type === 'result');
    expect(result).toMatchObject({ photos: 4, aligned: 2, faces: 2, noFace: ['ben/sky.png'], images: 2, classes: 2 });
    expect(result.failed).toEqual([expect.objectContaining({ file: 'ben/broken.jpg' })]);
    expect(out + err).toContain('ben/broken.jpg: ');
    const dataset = RecordDataset.open(path.join(root, 'packed/train.rec'));
    expect([dataset.length, dataset.numClasses, dataset.imageSize]).toEqual([2, 2, [112, 112]]);
    dataset.close();
    const lines = readFileSync(path.join(root, 'packed/detections.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    // bigface train reads it (a tiny IResNet, one step).
    writeFileSync(
      path.join(root, 'tiny.yaml'),
      [
        'extends: synth-tiny-cosface',
        'outputDir: runs/aligned',
        'data: { source: recordio, path: packed/train.rec, imageSize: 56, identities: null, imagesPerIdentity: null, cacheDir: null, mask: { ratio: 0 } }',
        'model: { layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 32 }',
        'evaluation: { heldOutIdentities: 0 }',
        'distributed: { worldSize: 1 }',
        'batch: { perRank: 2 }',
      ].join('\n'),
    );
    const trained = await cli(['train', '--config', 'tiny.yaml', '--steps', '1', '--json']);
    expect(trained.code, trained.err).toBe(EXIT_CODES.ok);
    expect(trained.out).toContain('"numClasses":2,"trainImages":2');
    // Again: nothing left to do but the broken file.
    const again = await cli(['data', 'align', 'photos', '-o', 'packed/train.rec', '--workers', '0', '--json']);
    expect(again.code).toBe(EXIT_CODES.ok);
    expect(again.out).toContain('"skipped":3');
  });

  it('exits 3 when no photo could be aligned, and 2 on a bad option', async () => {
    mkdirSync(path.join(root, 'empty-ish/x'), { recursive: true });
    writeFileSync(path.join(root, 'empty-ish/x/sky.png'), readFileSync(path.join(photos, 'ben', 'sky.png')));
    const none = await cli(['data', 'align', 'empty-ish', '-o', 'out', '--workers', '0']);
    expect(none.code).toBe(EXIT_CODES.data);
    expect(none.err).toContain('no face found in 1 photo(s): x/sky.png');
    expect((await cli(['data', 'align', 'photos', '-o', 'out', '--detector', 'mtcnn'])).code).toBe(EXIT_CODES.usage);
  });
});
