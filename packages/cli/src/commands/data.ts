import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';
import { createSynthIdentity, packImageFolder, packRecordDataset, renderSynthFace, type PackSample } from '@bigface/data';
import sharp from 'sharp';
import type { CommandDefinition } from '../command';
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
      const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
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
      reporter.result({ recordPath: result.recordPath, images: result.numImages, classes: result.numClasses }, `wrote ${result.numImages} SynthFaces of ${result.numClasses} identities to ${result.recordPath}`);
    } else {
      reporter.result({ directory: output, images: total, classes: identities }, `wrote ${total} SynthFaces of ${identities} identities under ${output}`);
    }
  },
};

export const dataCommand: CommandDefinition = {
  name: 'data',
  summary: 'Datasets: pack an image folder into RecordIO, or render SynthFaces.',
  usage: 'bigface data <pack|synth> [options]',
  options: {},
  subcommands: [packCommand, synthCommand],
  examples: ['bigface data pack faces/ --output train.rec', 'bigface data synth --identities 50 --images 10 --output synth/train.rec'],
};
