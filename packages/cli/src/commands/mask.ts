import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BigFaceError, isBigFaceError } from '@bigface/backend/errors';
import { hashSeed, Rng } from '@bigface/backend/random';
import { createLandmarkFinder, FaceAlignPool, IMAGE_EXTENSIONS, packRecordDataset, RecordDataset, type PackSample } from '@bigface/data';
import { decodeImage, makeContactSheet, maskImage, type ContactSheetFace, type LandmarkFinder } from '@bigface/mask-synth';
import type { CommandDefinition } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { numberOption, requiredString } from '../parse-command-arguments';

interface InputImage {
  /** Relative path (folder input) or `record <i>` (RecordIO input). */
  name: string;
  label: number;
  read(): Promise<Buffer>;
  /** Source file to copy unchanged (folder → folder). */
  file?: string;
}

async function listImages(root: string): Promise<InputImage[]> {
  const found: string[] = [];
  const walk = async (directory: string) => {
    const entries = await readdir(directory, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && IMAGE_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) found.push(full);
    }
  };
  await walk(root);
  const { readFile } = await import('node:fs/promises');
  const labels = new Map<string, number>();
  return found.map((file) => {
    const relative = path.relative(root, file);
    const identity = path.dirname(relative);
    if (!labels.has(identity)) labels.set(identity, labels.size);
    return { name: relative, label: labels.get(identity)!, file, read: () => readFile(file) };
  });
}

/**
 * Which of N images to mask: exactly round(ratio·N), chosen by a seeded permutation, so the output
 * has the asked ratio and the same seed picks the same images.
 *
 * @example
 * chooseMasked(20, 0.35, 1).size; // 7
 */
export function chooseMasked(count: number, ratio: number, seed: number): Set<number> {
  const permutation = new Rng(hashSeed(seed, 0x6d61736b)).permutation(count);
  return new Set(Array.from(permutation.slice(0, Math.round(ratio * count))));
}

export const maskCommand: CommandDefinition = {
  name: 'mask',
  summary: 'Mask a folder or RecordIO of aligned faces or raw photos at a ratio (textured + natural synthesizers); write the result and a contact sheet.',
  usage: 'bigface mask <folder | train.rec> --output <folder | out.rec> [--ratio 0.35] [--seed 0]',
  positionals: [1, 1],
  options: {
    output: { type: 'string', short: 'o', value: '<path>', description: 'a folder (mirrors the input tree) or a .rec file' },
    ratio: { type: 'string', value: '<0-1>', description: 'fraction of images masked (exactly round(ratio·N), seeded)', default: '0.35' },
    seed: { type: 'string', value: '<n>', description: 'seed of the choice and of each mask', default: '0' },
    textured: { type: 'string', value: '<w>', description: 'weight of the textured synthesizer', default: '1' },
    natural: { type: 'string', value: '<w>', description: 'weight of the natural synthesizer', default: '1' },
    'contact-sheet': { type: 'string', value: '<png>', description: 'contact sheet path (default: <output>-contact-sheet.png)' },
    'contact-faces': { type: 'string', value: '<n>', description: 'faces on the contact sheet', default: '6' },
    'largest-face': { type: 'boolean', description: 'in raw photos, mask only the largest face (default: every face)' },
    'min-score': { type: 'string', value: '<0-1>', description: "in raw photos, the face detector's score threshold", default: '0.5' },
    workers: { type: 'string', value: '<n>', description: 'face-detector worker threads (started only for raw photos)', default: '2' },
  },
  details:
    'Unmasked images are copied byte for byte. masks.jsonl (beside a .rec, inside a folder) lists each image and how it was masked. A bad image is reported and skipped (exit 3 at the end). ' +
    "A 112x112 image is taken as an ArcFace-aligned crop; any other image is a raw photo, whose faces and landmarks come from the face detector (face-api.js's SSD MobileNetV1 + 68-point net, on wasm worker threads): every face is masked, and a photo without a face is reported and skipped.",
  examples: ['bigface mask faces/ --output faces-masked/ --ratio 0.35', 'bigface mask synth/train.rec --output synth-masked/train.rec --seed 7'],
  async run({ positionals, values, reporter, io }) {
    const input = path.resolve(io.cwd, positionals[0]!);
    const output = path.resolve(io.cwd, requiredString(values, 'output', 'a folder or a .rec file to write'));
    const ratio = numberOption(values, 'ratio', { min: 0 })!;
    if (ratio > 1) throw new BigFaceError('USAGE_ERROR', `--ratio: got ${ratio}; expected a number in [0, 1]`);
    const seed = numberOption(values, 'seed', { integer: true, min: 0 })!;
    const mix = { textured: numberOption(values, 'textured', { min: 0 })!, natural: numberOption(values, 'natural', { min: 0 })! };
    if (mix.textured + mix.natural <= 0) throw new BigFaceError('USAGE_ERROR', '--textured and --natural weights cannot both be 0');
    if (!existsSync(input)) throw new BigFaceError('INPUT_NOT_FOUND', `mask: input '${positionals[0]}' does not exist; give a folder of images or a train.rec`);
    const minScore = numberOption(values, 'min-score', { min: 0 })!;
    if (minScore >= 1) throw new BigFaceError('USAGE_ERROR', `--min-score: got ${minScore}; expected a number in [0, 1)`);
    const workers = numberOption(values, 'workers', { integer: true, min: 0 })!;
    // The detector starts on the first raw photo only: aligned crops never need it.
    let pool: FaceAlignPool | null = null;
    const findLandmarks: LandmarkFinder = (image, context) => {
      pool ??= new FaceAlignPool({ workers, detector: { minScore } });
      return createLandmarkFinder(pool, { allFaces: values['largest-face'] !== true })(image, context);
    };
    const fromRecord = statSync(input).isFile();
    const toRecord = output.endsWith('.rec');
    let images: InputImage[];
    let dataset: RecordDataset | null = null;
    if (fromRecord) {
      dataset = RecordDataset.open(input);
      const opened = dataset;
      images = Array.from({ length: opened.length }, (_, i) => ({ name: `record ${i}`, label: opened.read(i).label, read: async () => opened.read(i).image }));
    } else {
      images = await listImages(input);
      if (images.length === 0) throw new BigFaceError('INPUT_EMPTY', `mask: '${positionals[0]}' holds no images (${IMAGE_EXTENSIONS.join(', ')})`);
    }
    try {
      const chosen = chooseMasked(images.length, ratio, seed);
      const progress = reporter.progress('masking', images.length);
      const manifest: string[] = [];
      const samples: PackSample[] = new Array(images.length);
      const failures: { name: string; reason: string }[] = [];
      let masked = 0;
      let next = 0;
      let done = 0;
      if (!toRecord) await mkdir(output, { recursive: true });
      const work = async () => {
        while (next < images.length) {
          const i = next++;
          const image = images[i]!;
          try {
            const bytes = await image.read();
            let data: Buffer = bytes;
            let metadata: unknown = null;
            if (chosen.has(i)) {
              const result = await maskImage(bytes, { seed: hashSeed(seed, i), synthesizer: 'augment', ratio: 1, mix, inputName: image.name, findLandmarks });
              data = result.encoded;
              metadata = result.faces ? { ...result.metadata, faces: result.faces.map((face) => face.metadata) } : result.metadata;
              masked++;
            }
            if (toRecord) samples[i] = { image: data, label: image.label };
            else {
              const relative = fromRecord
                ? path.join(`id_${image.label}`, `${i}.jpg`)
                : metadata === null
                  ? image.name
                  : image.name.replace(/\.[^./\\]+$/, '.jpg');
              await mkdir(path.dirname(path.join(output, relative)), { recursive: true });
              if (metadata === null && image.file) await copyFile(image.file, path.join(output, relative));
              else await writeFile(path.join(output, relative), data);
            }
            manifest[i] = JSON.stringify({
              index: i,
              input: image.name,
              label: image.label,
              masked: metadata !== null,
              ...(metadata ? { mask: metadata } : {}),
            });
          } catch (error) {
            if (!isBigFaceError(error)) throw error;
            failures.push({ name: image.name, reason: error.message });
            reporter.warn(`${image.name}: ${error.message} (skipped)`);
          }
          progress.update(++done);
        }
      };
      await Promise.all(Array.from({ length: 4 }, work));
      progress.done(`${masked} masked`);
      const manifestPath = toRecord ? path.join(path.dirname(output), 'masks.jsonl') : path.join(output, 'masks.jsonl');
      if (toRecord) {
        await mkdir(path.dirname(output), { recursive: true });
        await packRecordDataset(
          samples.filter((sample) => sample !== undefined),
          output,
          dataset?.imageSize ? { imageSize: [dataset.imageSize[0], dataset.imageSize[1]] } : {},
        );
      }
      await writeFile(manifestPath, `${manifest.filter(Boolean).join('\n')}\n`);
      const sheetPath = path.resolve(
        io.cwd,
        (values['contact-sheet'] as string | undefined) ?? `${output.replace(/[\\/]$/, '').replace(/\.rec$/, '')}-contact-sheet.png`,
      );
      const faceCount = Math.min(numberOption(values, 'contact-faces', { integer: true, min: 1 })!, images.length);
      const faces: ContactSheetFace[] = [];
      for (let i = 0; i < images.length && faces.length < faceCount; i++) {
        if (failures.some((failure) => failure.name === images[i]!.name)) continue;
        const bytes = await images[i]!.read();
        const raw = await decodeImage(bytes, { inputName: images[i]!.name });
        if (raw.width === 112 && raw.height === 112) faces.push({ image: raw });
        else {
          // A raw photo: its largest face, where the detector found it.
          const [landmarks] = await findLandmarks(raw, { inputName: images[i]!.name });
          if (landmarks !== undefined) faces.push({ image: raw, landmarks });
        }
      }
      if (faces.length > 0) await writeFile(sheetPath, await makeContactSheet(faces, { seed }));
      reporter.result(
        {
          output,
          images: images.length - failures.length,
          masked,
          ratio: images.length ? masked / (images.length - failures.length || 1) : 0,
          manifest: manifestPath,
          contactSheet: faces.length ? sheetPath : null,
          failures,
        },
        `masked ${masked} of ${images.length - failures.length} images (ratio ${ratio}) → ${output}; manifest ${manifestPath}; contact sheet ${sheetPath}${failures.length ? `; ${failures.length} failed` : ''}`,
      );
      return failures.length > 0 ? EXIT_CODES.data : EXIT_CODES.ok;
    } finally {
      dataset?.close();
      await (pool as FaceAlignPool | null)?.close();
    }
  },
};
