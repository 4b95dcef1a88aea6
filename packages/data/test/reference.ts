import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readReferenceJson, referenceFile } from '../../../test-support/reference';

export { referenceFile, tinyBinReference } from '../../../test-support/reference';

/** tiny-rec.json: what the reference RecordIO writer (CPython struct, insightface layout) put in tiny.rec. */
export interface TinyRecReference {
  num_classes: number;
  images: { key: number; label: number; jpeg_bytes: number }[];
}

export function tinyRecReference(): TinyRecReference {
  return readReferenceJson<TinyRecReference>('tiny-rec.json');
}

/** The `property` file beside tiny.rec (insightface: "classes,height,width"), parsed by hand. */
export function tinyRecProperty(): { numClasses: number; height: number; width: number } {
  const text = readFileSync(referenceFile('property'), 'utf8').trim();
  const [numClasses, height, width] = text.split(',').map(Number);
  if (![numClasses, height, width].every((n) => Number.isInteger(n) && n! > 0))
    throw new Error(`${referenceFile('property')}: expected "classes,height,width", got '${text}'`);
  return { numClasses: numClasses!, height: height!, width: width! };
}

/** tiny.idx (MXNet: one "key<TAB>offset" line per record), parsed by hand: key → byte offset in tiny.rec. */
export function tinyRecIndex(): Map<number, number> {
  const lines = readFileSync(referenceFile('tiny.idx'), 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  return new Map(lines.map((line) => line.split('\t').map(Number) as [number, number]));
}

export function temporaryDirectory(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'bigface-data-'));
}

/**
 * The counts within 3 standard deviations of the mean for how many of `draws` independent events of
 * probability `p` happen (a correct sampler falls outside with probability ~0.3%).
 */
export function threeSigmaBand(draws: number, p: number): [number, number] {
  const mean = draws * p;
  const sd = Math.sqrt(draws * p * (1 - p));
  return [Math.max(0, Math.ceil(mean - 3 * sd)), Math.min(draws, Math.floor(mean + 3 * sd))];
}
