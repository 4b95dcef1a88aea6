import { assertArgument } from '@bigface/backend/errors';
import { hashSeed } from '@bigface/backend/random';
import sharp from 'sharp';
import { applyNaturalMask } from './apply-natural-mask';
import { applyTexturedMask } from './apply-textured-mask';
import { decodeImage, describeInput, type ImageInput } from './decode-image';
import { resolveFaceGeometry, type Landmarks } from './face-geometry';
import { applySimilarity } from './geometry';
import type { RawImage } from './raw-image';

/** One face of a contact sheet: an image (file, encoded buffer or raw pixels) and its landmarks. */
export interface ContactSheetFace {
  image: ImageInput | RawImage;
  /** Optional for 112x112 aligned crops. */
  landmarks?: Landmarks;
}

/** Options of {@link makeContactSheet}. */
export interface ContactSheetOptions {
  /** Row i uses seed `hashSeed(seed, i)`. */
  seed: number;
  /** Side of one square cell in pixels (default 112). */
  cellSize?: number;
  /** Gap between cells in pixels (default 4). */
  gap?: number;
}

function isRawImage(value: unknown): value is RawImage {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'data' in value;
}

async function cell(image: RawImage, box: { left: number; top: number; size: number }, cellSize: number): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .removeAlpha()
    .extract({ left: box.left, top: box.top, width: box.size, height: box.size })
    .resize(cellSize, cellSize, { kernel: 'lanczos3' })
    .raw()
    .toBuffer();
}

/**
 * A PNG grid for people to look at: one row per face, columns original | textured | natural, each cell
 * the face's square crop (the whole image for 112x112 aligned crops).
 *
 * @example
 * import { makeContactSheet } from '@bigface/mask-synth';
 * import { writeFile } from 'node:fs/promises';
 * await writeFile('sheet.png', await makeContactSheet([{ image: 'face1.jpg' }, { image: 'face2.jpg' }], { seed: 1 }));
 */
export async function makeContactSheet(faces: readonly ContactSheetFace[], options: ContactSheetOptions): Promise<Buffer> {
  assertArgument(faces.length > 0, 'INVALID_ARGUMENT', () => 'makeContactSheet: faces is empty: give at least one face');
  const cellSize = options.cellSize ?? 112;
  const gap = options.gap ?? 4;
  const columns = 3;
  const sheetWidth = columns * cellSize + (columns + 1) * gap;
  const sheetHeight = faces.length * cellSize + (faces.length + 1) * gap;
  const sheet = new Uint8Array(sheetWidth * sheetHeight * 3).fill(255);
  for (let row = 0; row < faces.length; row++) {
    const face = faces[row]!;
    const inputName = isRawImage(face.image) ? `face ${row}` : describeInput(face.image);
    const raw = isRawImage(face.image) ? face.image : await decodeImage(face.image, inputName);
    const seed = hashSeed(options.seed, row);
    const textured = applyTexturedMask(raw, { seed, landmarks: face.landmarks, inputName });
    const natural = applyNaturalMask(raw, { seed, landmarks: face.landmarks, inputName });
    // The crop: the canonical 112x112 frame mapped into the image, squared and clipped.
    const geometry = resolveFaceGeometry(face.landmarks, raw.width, raw.height, inputName);
    const corners = [
      [0, 0],
      [112, 0],
      [0, 112],
      [112, 112],
    ].map((point) => applySimilarity(geometry.toImage, point as [number, number]));
    const xs = corners.map((point) => point[0]);
    const ys = corners.map((point) => point[1]);
    const centreX = (Math.min(...xs) + Math.max(...xs)) / 2;
    const centreY = (Math.min(...ys) + Math.max(...ys)) / 2;
    let size = Math.round(Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)));
    size = Math.max(1, Math.min(size, raw.width, raw.height));
    const left = Math.round(Math.min(Math.max(0, centreX - size / 2), raw.width - size));
    const top = Math.round(Math.min(Math.max(0, centreY - size / 2), raw.height - size));
    const box = { left, top, size };
    const cells = [await cell(raw, box, cellSize), await cell(textured.image, box, cellSize), await cell(natural.image, box, cellSize)];
    cells.forEach((pixels, column) => {
      const x0 = gap + column * (cellSize + gap);
      const y0 = gap + row * (cellSize + gap);
      for (let y = 0; y < cellSize; y++) {
        sheet.set(pixels.subarray(y * cellSize * 3, (y + 1) * cellSize * 3), ((y0 + y) * sheetWidth + x0) * 3);
      }
    });
  }
  return sharp(sheet, { raw: { width: sheetWidth, height: sheetHeight, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toBuffer();
}
