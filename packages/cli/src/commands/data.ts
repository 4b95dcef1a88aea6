import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';
import {
  alignPhotoFolder,
  createSynthIdentity,
  FACE_DETECTOR_MODELS,
  packImageFolder,
  packRecordDataset,
  renderSynthFace,
  type FaceDetectorModel,
  type PackSample,
} from '@bigface/data';
import type { BackendName } from '@bigface/backend';
import sharp from 'sharp';
import type { CommandDefinition } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { numberOption, requiredString } from '../parse-command-arguments';

const packCommand: CommandDefinition = {
  name: 'data pack',
  summary: 'Pack an image folder (one sub-folder per identity) into insightface RecordIO: train.rec, train.idx, property.',
  usage: 'bigface data pack <folder> --output <train.rec>',
  positionals: [1, 1],
  options: {
    output: { type: 'string', short: 'o', value: '<train.rec>', description: 'RecordIO file to write (train.idx and property beside it)' },
  },
  examples: ['bigface data pack faces/ --output packed/train.rec'],
  async run({ positionals, values, reporter, io }) {
    const root = path.resolve(io.cwd, positionals[0]!);
    const output = path.resolve(io.cwd, requiredString(values, 'output', 'the train.rec to write'));
    const progress = reporter.progress('packing', 1);
    await mkdir(path.dirname(output), { recursive: true });
    const result = await packImageFolder(root, output);
    progress.done();
    reporter.result(
      { recordPath: result.recordPath, indexPath: result.indexPath, propertyPath: result.propertyPath, images: result.numImages, classes: result.numClasses },
      `packed ${result.numImages} images of ${result.numClasses} identities into ${result.recordPath}`,
    );
  },
};

const synthCommand: CommandDefinition = {
  name: 'data synth',
  summary: 'Render SynthFaces (seeded synthetic identities, aligned 112×112) into a RecordIO file or an image folder.',
  usage: 'bigface data synth --identities <N> --images <K> --output <train.rec | folder/> [--seed 0]',
  options: {
    identities: { type: 'string', value: '<N>', description: 'identities', default: '50' },
    images: { type: 'string', value: '<K>', description: 'images per identity', default: '10' },
    seed: { type: 'string', value: '<n>', description: 'family seed: same seed, same bytes', default: '0' },
    quality: { type: 'string', value: '<1-100>', description: 'JPEG quality', default: '90' },
    output: { type: 'string', short: 'o', value: '<path>', description: 'a .rec file (RecordIO) or a folder (one sub-folder per identity)' },
  },
  details: 'The images are byte-identical to @bigface/data generateSynthFaces with the same seed, in either output.',
  examples: ['bigface data synth --identities 100 --images 20 --output synth/train.rec', 'bigface data synth --identities 5 --images 4 --output synth-faces/'],
  async run({ values, reporter, io }) {
    const identities = numberOption(values, 'identities', { integer: true, min: 1 })!;
    const perIdentity = numberOption(values, 'images', { integer: true, min: 1 })!;
    const seed = numberOption(values, 'seed', { integer: true, min: 0 })!;
    const quality = numberOption(values, 'quality', { integer: true, min: 1 })!;
    if (quality > 100) throw new BigFaceError('USAGE_ERROR', `--quality: got ${quality}; expected 1 to 100`);
    const output = path.resolve(io.cwd, requiredString(values, 'output', 'a .rec file or a folder'));
    const toRecord = output.endsWith('.rec');
    const total = identities * perIdentity;
    const progress = reporter.progress('rendering', total);
    const samples: PackSample[] = [];
    const digits = String(identities - 1).length;
    for (let position = 0; position < total; position++) {
      const label = Math.floor(position / perIdentity);
      const { image } = renderSynthFace(createSynthIdentity(seed, label), { sample: position % perIdentity });
      const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .jpeg({ quality, chromaSubsampling: '4:2:0' })
        .toBuffer();
      if (toRecord) samples.push({ image: jpeg, label });
      else {
        const folder = path.join(output, `id_${String(label).padStart(digits, '0')}`);
        await mkdir(folder, { recursive: true });
        await writeFile(path.join(folder, `${String(position % perIdentity).padStart(3, '0')}.jpg`), jpeg);
      }
      progress.update(position + 1);
    }
    progress.done();
    if (toRecord) {
      await mkdir(path.dirname(output), { recursive: true });
      const result = await packRecordDataset(samples, output, { imageSize: [112, 112] });
      reporter.result(
        { recordPath: result.recordPath, images: result.numImages, classes: result.numClasses },
        `wrote ${result.numImages} SynthFaces of ${result.numClasses} identities to ${result.recordPath}`,
      );
    } else {
      reporter.result({ directory: output, images: total, classes: identities }, `wrote ${total} SynthFaces of ${identities} identities under ${output}`);
    }
  },
};

const BACKENDS = ['auto', 'wasm', 'cpu', 'tensorflow'] as const;

const alignCommand: CommandDefinition = {
  name: 'data align',
  summary: 'Detect faces in a folder of photos (5 landmarks) and write ArcFace-aligned 112×112 crops to a folder or a RecordIO.',
  usage: 'bigface data align <photos> --output <folder | train.rec> [--all-faces] [--min-score 0.5] [--workers 2]',
  positionals: [1, 1],
  options: {
    output: {
      type: 'string',
      short: 'o',
      value: '<path>',
      description: 'a folder of crops (one sub-folder per identity), or a .rec (crops staged in <name>-crops/ beside it, then packed)',
    },
    'all-faces': { type: 'boolean', description: 'every face scoring at least --min-score (default: only the largest face of each photo)' },
    'min-score': { type: 'string', value: '<0-1>', description: 'detector score threshold', default: '0.5' },
    detector: { type: 'string', value: '<model>', description: `face detector: ${FACE_DETECTOR_MODELS.join(' | ')}`, default: 'ssd-mobilenet-v1' },
    size: { type: 'string', value: '<px>', description: 'crop side (the ArcFace template scales with it)', default: '112' },
    quality: { type: 'string', value: '<1-100>', description: 'JPEG quality of the crops', default: '95' },
    workers: { type: 'string', value: '<n>', description: 'worker threads, each with its own detector (0: this thread)', default: '2' },
    backend: { type: 'string', value: '<name>', description: 'tfjs backend of the workers: wasm (default: XNNPACK depthwise convs), cpu, tensorflow, auto' },
    fresh: { type: 'boolean', description: 'align every photo again (default: resume, skipping photos detections.jsonl lists)' },
  },
  details:
    'The identity of a photo is its sub-folder: <photos>/<identity>/<photo> -> <output>/<identity>/<photo>.jpg (<photo>_<k>.jpg with --all-faces). ' +
    'JPEG, PNG, WebP, TIFF and BMP are read, EXIF orientation honoured. detections.jsonl (in the folder, or beside the .rec) gets one line per photo: ' +
    'file, size, and for each face its box [x, y, width, height], score, five landmarks (eye centres, nose tip, mouth corners) and crop. ' +
    'A photo without a face is listed at the end; an unreadable one is named and the others go on. Exit 3 only when no photo could be aligned. ' +
    "Detector: face-api.js's SSD MobileNetV1 + 68-point landmark net (MIT), weights from the @vladmandic/face-api package.",
  examples: ['bigface data align photos/ --output faces/', 'bigface data align photos/ --output packed/train.rec --all-faces --min-score 0.8'],
  async run({ positionals, values, reporter, io }) {
    const root = path.resolve(io.cwd, positionals[0]!);
    const output = path.resolve(io.cwd, requiredString(values, 'output', 'a folder or a .rec file to write'));
    const minScore = numberOption(values, 'min-score', { min: 0 })!;
    if (minScore >= 1) throw new BigFaceError('USAGE_ERROR', `--min-score: got ${minScore}; expected a number in [0, 1)`);
    const model = values.detector as string;
    if (!(FACE_DETECTOR_MODELS as readonly string[]).includes(model))
      throw new BigFaceError('USAGE_ERROR', `--detector: unknown model '${model}'; choose one of ${FACE_DETECTOR_MODELS.join(', ')}`);
    const size = numberOption(values, 'size', { integer: true, min: 16 })!;
    const quality = numberOption(values, 'quality', { integer: true, min: 1 })!;
    if (quality > 100) throw new BigFaceError('USAGE_ERROR', `--quality: got ${quality}; expected 1 to 100`);
    const workers = numberOption(values, 'workers', { integer: true, min: 0 })!;
    const backend = values.backend as string | undefined;
    if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend))
      throw new BigFaceError('USAGE_ERROR', `--backend: unknown backend '${backend}'; choose one of ${BACKENDS.join(', ')}`);
    let progress: ReturnType<typeof reporter.progress> | null = null;
    const result = await alignPhotoFolder(root, output, {
      allFaces: values['all-faces'] === true,
      detector: { model: model as FaceDetectorModel, minScore },
      size,
      quality,
      workers,
      backend: backend as BackendName | 'auto' | undefined,
      resume: values.fresh !== true,
      onProgress: ({ done, total, file, status }) => {
        progress ??= reporter.progress('aligning', total);
        progress.update(done, status === 'aligned' || status === 'skipped' ? undefined : `${file}: ${status}`);
      },
    });
    (progress as ReturnType<typeof reporter.progress> | null)?.done(`${result.faces} faces`);
    for (const failure of result.failed) reporter.warn(`${failure.file}: ${failure.message} (skipped)`);
    if (result.noFace.length > 0) reporter.warn(`no face found in ${result.noFace.length} photo(s): ${result.noFace.join(', ')}`);
    reporter.result(
      {
        output,
        photos: result.photos,
        aligned: result.aligned,
        faces: result.faces,
        skipped: result.skipped,
        noFace: result.noFace,
        failed: result.failed,
        crops: result.cropDirectory,
        detections: result.detectionsPath,
        ...(result.record ? { recordPath: result.record.recordPath, images: result.record.numImages, classes: result.record.numClasses } : {}),
      },
      `aligned ${result.faces} faces from ${result.aligned} of ${result.photos} photos${result.skipped ? ` (${result.skipped} done by an earlier run)` : ''} → ${result.record ? result.record.recordPath : result.cropDirectory}; ` +
        `${result.noFace.length} without a face, ${result.failed.length} unreadable; detections ${result.detectionsPath}`,
    );
    return result.faces === 0 ? EXIT_CODES.data : EXIT_CODES.ok;
  },
};

export const dataCommand: CommandDefinition = {
  name: 'data',
  summary: 'Datasets: align faces in photos, pack an image folder into RecordIO, or render SynthFaces.',
  usage: 'bigface data <align|pack|synth> [options]',
  options: {},
  subcommands: [alignCommand, packCommand, synthCommand],
  examples: [
    'bigface data align photos/ --output faces/train.rec',
    'bigface data pack faces/ --output train.rec',
    'bigface data synth --identities 50 --images 10 --output synth/train.rec',
  ],
};
