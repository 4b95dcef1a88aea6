import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo, run } from '@bigface/cli';

const root = mkdtempSync(path.join(tmpdir(), 'bigface-cli-mask-'));
const input = path.join(root, 'faces');
const files: string[] = [];

beforeAll(async () => {
  // 20 real JPEGs in two identity folders: smooth skin-toned gradients with per-image noise.
  for (let i = 0; i < 20; i++) {
    const data = Buffer.alloc(112 * 112 * 3);
    for (let p = 0; p < 112 * 112; p++) {
      const y = Math.floor(p / 112);
      data[3 * p] = 180 + ((p * 7 + i * 13) % 40);
      data[3 * p + 1] = 130 + (y % 30);
      data[3 * p + 2] = 110 + ((p + i) % 25);
    }
    const relative = path.join(`person_${i % 2}`, `${String(i).padStart(2, '0')}.jpg`);
    mkdirSync(path.join(input, path.dirname(relative)), { recursive: true });
    writeFileSync(
      path.join(input, relative),
      await sharp(data, { raw: { width: 112, height: 112, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
    files.push(relative);
  }
});

describe('bigface mask', () => {
  it('masks exactly round(ratio·N) images of a folder and copies the rest byte for byte', async () => {
    const io = memoryIo({ cwd: root });
    const code = await run(['mask', 'faces', '--output', 'masked', '--ratio', '0.35', '--seed', '5', '--json'], io);
    expect(code, io.errors()).toBe(0);
    const result = JSON.parse(io.output().trim().split('\n').at(-1)!);
    expect(result).toMatchObject({ type: 'result', images: 20, masked: 7 });
    let changed = 0;
    for (const relative of files) {
      const before = readFileSync(path.join(input, relative));
      const after = readFileSync(path.join(root, 'masked', relative));
      if (!before.equals(after)) changed++;
    }
    expect(changed).toBe(7); // 0.35 × 20
    const manifest = readFileSync(path.join(root, 'masked', 'masks.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(manifest.filter((entry) => entry.masked)).toHaveLength(7);
    expect(manifest.find((entry) => entry.masked).mask.synthesizer).toMatch(/^(textured|natural)$/);
    const sheet = await sharp(readFileSync(path.join(root, 'masked-contact-sheet.png'))).metadata();
    expect(sheet.format).toBe('png');
    // Same seed, same choice.
    const again = memoryIo({ cwd: root });
    await run(['mask', 'faces', '--output', 'masked-again', '--ratio', '0.35', '--seed', '5'], again);
    expect(readFileSync(path.join(root, 'masked-again', 'masks.jsonl'), 'utf8')).toBe(readFileSync(path.join(root, 'masked', 'masks.jsonl'), 'utf8'));
  });

  it('reads and writes RecordIO, and reports a corrupt image (exit 3) while writing the others', async () => {
    const packed = memoryIo({ cwd: root });
    expect(await run(['data', 'pack', 'faces', '--output', 'packed/train.rec'], packed), packed.errors()).toBe(0);
    const io = memoryIo({ cwd: root });
    expect(await run(['mask', 'packed/train.rec', '--output', 'packed-masked/train.rec', '--ratio', '0.5', '--json'], io), io.errors()).toBe(0);
    expect(JSON.parse(io.output().trim().split('\n').at(-1)!)).toMatchObject({ images: 20, masked: 10 });
    expect(existsSync(path.join(root, 'packed-masked', 'train.idx'))).toBe(true);

    mkdirSync(path.join(root, 'with-bad', 'person_0'), { recursive: true });
    writeFileSync(path.join(root, 'with-bad', 'person_0', 'good.jpg'), readFileSync(path.join(input, files[0]!)));
    writeFileSync(path.join(root, 'with-bad', 'person_0', 'bad.jpg'), Buffer.from('not a jpeg at all'));
    const bad = memoryIo({ cwd: root });
    expect(await run(['mask', 'with-bad', '--output', 'with-bad-masked', '--ratio', '1'], bad)).toBe(3);
    expect(bad.errors()).toContain('bad.jpg');
    expect(existsSync(path.join(root, 'with-bad-masked', 'person_0', 'good.jpg'))).toBe(true);
  });
});
