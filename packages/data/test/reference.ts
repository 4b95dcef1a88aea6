import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared reference folder (computed with MXNet-layout writers / CPython). */
export const REFERENCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/reference');

export interface TinyRecReference {
  num_classes: number;
  images: { key: number; label: number; jpeg_bytes: number }[];
}

export function tinyRecReference(): TinyRecReference {
  return JSON.parse(readFileSync(path.join(REFERENCE, 'tiny-rec.json'), 'utf8')) as TinyRecReference;
}

export function temporaryDirectory(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'bigface-data-'));
}
