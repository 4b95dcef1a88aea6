import { createReadStream, type Dirent, existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BigFaceError, isBigFaceError } from '@bigface/backend/errors';
import type { AlignedPhoto } from './align-photo';
import { FaceAlignPool, type FaceAlignPoolOptions } from './face-align-pool';
import { IMAGE_EXTENSIONS } from './list-image-folder';
import { packImageFolder } from './pack-image-folder';
import type { PackRecordDatasetResult } from './pack-record-dataset';

/** Photo types `alignPhotoFolder` reads (decoded by sharp; EXIF orientation honoured). */
export const PHOTO_EXTENSIONS: readonly string[] = IMAGE_EXTENSIONS;

/** Options of {@link alignPhotoFolder}. */
export interface AlignPhotoFolderOptions extends FaceAlignPoolOptions {
  /** Called after each photo (also for photos skipped because they were already done). */
  onProgress?: (event: { done: number; total: number; file: string; status: PhotoStatus }) => void;
  /** Skip photos that `detections.jsonl` already lists as done (default true). */
  resume?: boolean;
}

/** What became of one photo. */
export type PhotoStatus = 'aligned' | 'no-face' | 'failed' | 'skipped';

/** One line of `detections.jsonl`. */
export interface PhotoDetections {
  /** The photo, relative to the input folder ('/'-separated). */
  file: string;
  status: 'aligned' | 'no-face';
  width: number;
  height: number;
  /** Largest first; `crop` is relative to the crops folder. */
  faces: { box: [number, number, number, number]; score: number; landmarks: [number, number][]; crop: string }[];
}

/** What {@link alignPhotoFolder} did. */
export interface AlignPhotoFolderResult {
  photos: number;
  /** Photos with at least one face written (this run and earlier runs). */
  aligned: number;
  /** Crops written (this run and earlier runs). */
  faces: number;
  /** Photos skipped because an earlier run had done them. */
  skipped: number;
  /** Photos in which no face scored above the threshold (relative paths). */
  noFace: string[];
  /** Photos that could not be read (corrupt, truncated, not an image), with the reason. */
  failed: { file: string; code: string; message: string }[];
  /** Where the crops are (the output folder, or the staging folder beside a .rec). */
  cropDirectory: string;
  detectionsPath: string;
  /** Set when the output is a .rec. */
  record?: PackRecordDatasetResult & { classNames: string[] };
}

/**
 * `bigface data align`: every photo under `root` (JPEG / PNG / WebP / ..., EXIF orientation honoured) ->
 * faces -> ArcFace 112x112 crops, on worker threads. The identity of a photo is its sub-folder
 * (`root/<identity>/<photo>` -> `<crops>/<identity>/<photo>.jpg`, or `<photo>_<k>.jpg` for every face
 * with `allFaces`). `output` is a folder, or a `.rec`: then the crops are written to `<name>-crops/`
 * beside it and packed into insightface RecordIO (`.rec`, `.idx`, `property`) at the end.
 * `detections.jsonl` (in the folder, or beside the .rec) gets one line per photo as it is done (file,
 * size, and each face's box, score, five landmarks and crop), which makes the run resumable: photos it
 * lists are skipped. A photo without a face is listed in `noFace`; an unreadable one in `failed`, and
 * the others go on.
 *
 * @example
 * import { alignPhotoFolder } from '@bigface/data';
 * const result = await alignPhotoFolder('photos/', 'faces/train.rec', { workers: 2 });
 * console.log(result.aligned, 'photos aligned;', result.noFace.length, 'without a face;', result.failed);
 */
export async function alignPhotoFolder(root: string, output: string, options: AlignPhotoFolderOptions = {}): Promise<AlignPhotoFolderResult> {
  const toRecord = output.endsWith('.rec');
  const cropDirectory = toRecord ? output.replace(/\.rec$/, '-crops') : output;
  // An output inside the input folder is not read as input (on a second run it holds crops).
  const photos = await listPhotos(root, new Set([path.resolve(cropDirectory)].filter((folder) => folder !== path.resolve(root))));
  if (toRecord) {
    const loose = photos.filter((file) => !file.includes('/'));
    if (loose.length > 0) {
      throw new BigFaceError(
        'PHOTOS_WITHOUT_IDENTITY',
        `alignPhotoFolder: a RecordIO needs an identity for every face, and ${loose.length} photo(s) lie directly in '${root}' (${loose.slice(0, 3).join(', ')}${loose.length > 3 ? ', ...' : ''}); put each person's photos in a sub-folder named after them, or write crops to a folder`,
      );
    }
  }
  const detectionsPath = toRecord ? path.join(path.dirname(output), 'detections.jsonl') : path.join(output, 'detections.jsonl');
  await mkdir(cropDirectory, { recursive: true });
  const done = options.resume === false ? new Map<string, PhotoDetections>() : await readDone(detectionsPath, cropDirectory);
  if (options.resume === false) await rm(detectionsPath, { force: true });
  const allFaces = options.allFaces ?? false;
  const extension = options.format === 'png' ? '.png' : '.jpg';
  const result: AlignPhotoFolderResult = { photos: photos.length, aligned: 0, faces: 0, skipped: 0, noFace: [], failed: [], cropDirectory, detectionsPath };
  let finished = 0;
  const report = (file: string, status: PhotoStatus) => options.onProgress?.({ done: ++finished, total: photos.length, file, status });
  const count = (entry: PhotoDetections) => {
    if (entry.status === 'aligned') {
      result.aligned++;
      result.faces += entry.faces.length;
    } else result.noFace.push(entry.file);
  };
  const todo: string[] = [];
  for (const file of photos) {
    const previous = done.get(file);
    if (previous === undefined) todo.push(file);
    else {
      count(previous);
      result.skipped++;
      report(file, 'skipped');
    }
  }
  const pool = todo.length > 0 ? new FaceAlignPool({ ...options, allFaces }) : null;
  try {
    let next = 0;
    // Two photos in flight per worker keep every worker busy while the main thread writes.
    const lanes = Math.max(1, (pool?.workers ?? 1) * 2);
    await Promise.all(
      Array.from({ length: Math.min(lanes, todo.length) }, async () => {
        while (next < todo.length) {
          const file = todo[next++]!;
          let photo: AlignedPhoto;
          try {
            photo = await pool!.align(path.join(root, file), file);
          } catch (error) {
            if (!isBigFaceError(error) || error.code === 'WORKER_FAILED' || error.code === 'POOL_CLOSED') throw error;
            result.failed.push({ file, code: error.code, message: error.message });
            report(file, 'failed');
            continue;
          }
          const stem = file.replace(/\.[^./]+$/, '');
          const faces = photo.faces.map((face, index) => ({ ...face, name: `${stem}${allFaces ? `_${index}` : ''}${extension}` }));
          for (const face of faces) {
            await mkdir(path.dirname(path.join(cropDirectory, face.name)), { recursive: true });
            await writeFile(path.join(cropDirectory, face.name), face.crop);
          }
          const entry: PhotoDetections = {
            file,
            status: faces.length > 0 ? 'aligned' : 'no-face',
            width: photo.width,
            height: photo.height,
            faces: faces.map((face) => ({
              box: [round(face.box.x), round(face.box.y), round(face.box.width), round(face.box.height)],
              score: round(face.score, 4),
              landmarks: face.landmarks.map(([x, y]) => [round(x), round(y)]),
              crop: face.name,
            })),
          };
          // The crops first, then the line: a line always means its crops are on disk.
          await appendFile(detectionsPath, `${JSON.stringify(entry)}\n`);
          count(entry);
          report(file, entry.status);
        }
      }),
    );
  } finally {
    await pool?.close();
  }
  result.noFace.sort();
  if (toRecord && result.faces > 0) {
    await mkdir(path.dirname(output), { recursive: true });
    result.record = await packImageFolder(cropDirectory, output, { imageSize: [options.size ?? 112, options.size ?? 112] });
  }
  return result;
}

/** Photos under `root`, relative and '/'-separated, sorted; folders in `exclude` are left out. */
async function listPhotos(root: string, exclude: ReadonlySet<string>): Promise<string[]> {
  const found: string[] = [];
  const walk = async (directory: string, prefix: string) => {
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (cause) {
      throw new BigFaceError(
        'INPUT_NOT_FOUND',
        `alignPhotoFolder: cannot read the folder '${directory}': ${(cause as Error).message}; give a folder of photos`,
        { cause },
      );
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.isDirectory() && exclude.has(path.resolve(directory, entry.name))) continue;
      if (entry.isDirectory()) await walk(path.join(directory, entry.name), `${prefix}${entry.name}/`);
      else if (entry.isFile() && PHOTO_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) found.push(`${prefix}${entry.name}`);
    }
  };
  await walk(root, '');
  if (found.length === 0) {
    throw new BigFaceError(
      'INPUT_EMPTY',
      `alignPhotoFolder: '${root}' holds no photos (${PHOTO_EXTENSIONS.join(', ')}); give a folder of photos, one sub-folder per identity`,
    );
  }
  return found;
}

/** Photos an earlier run finished: lines of `detections.jsonl` whose crops are all on disk. */
async function readDone(detectionsPath: string, cropDirectory: string): Promise<Map<string, PhotoDetections>> {
  const done = new Map<string, PhotoDetections>();
  if (!existsSync(detectionsPath)) return done;
  const lines = createInterface({ input: createReadStream(detectionsPath), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    let entry: PhotoDetections;
    try {
      entry = JSON.parse(line) as PhotoDetections;
    } catch {
      // A line cut off by a crash: that photo is done again.
      continue;
    }
    if (typeof entry.file !== 'string' || !Array.isArray(entry.faces)) {
      throw new BigFaceError('DETECTIONS_INVALID', `${detectionsPath}:${number}: not a detections line; delete the file to align every photo again`);
    }
    if (entry.faces.every((face) => existsSync(path.join(cropDirectory, face.crop)))) done.set(entry.file, entry);
  }
  return done;
}

function round(value: number, digits = 2): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
