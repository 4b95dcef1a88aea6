import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readReferenceJson } from '../../../test-support/reference';

export { referenceFile } from '../../../test-support/reference';

/** tiny-rec.json: what the reference RecordIO writer (CPython struct, insightface layout) put in tiny.rec. */
export interface TinyRecReference {
  num_classes: number;
  images: { key: number; label: number; jpeg_bytes: number }[];
}

export function tinyRecReference(): TinyRecReference {
  return readReferenceJson<TinyRecReference>('tiny-rec.json');
}

export function temporaryDirectory(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'bigface-data-'));
}
