import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { tf } from '@bigface/backend';
import { BigFaceError } from '@bigface/backend/errors';

/**
 * The face models read from `@vladmandic/face-api`'s `model/` folder (weights in the tfjs layers
 * format: a JSON manifest and one `.bin` of uint8-quantised weights), as plain data. Both nets and
 * their weights are MIT-licensed: trained by Vincent Mühler for face-api.js
 * (github.com/justadudewhohacks/face-api.js, MIT), republished by Vladimir Mandic in
 * `@vladmandic/face-api` (MIT). The SSD detector is a MobileNetV1 SSD (TensorFlow object detection
 * API layout) trained on WIDER FACE; the landmark net on ~35k face images annotated with iBUG's 68 points.
 */
export const FACE_API_MODELS = {
  'ssd-mobilenet-v1': { file: 'ssd_mobilenetv1_model', inputSize: 512, bytes: 5_616_957, licence: 'MIT' },
  'tiny-face-detector': { file: 'tiny_face_detector_model', inputSize: 416, bytes: 193_321, licence: 'MIT' },
  'face-landmark-68': { file: 'face_landmark_68_model', inputSize: 112, bytes: 356_840, licence: 'MIT' },
} as const;

/** A name of {@link FACE_API_MODELS}. */
export type FaceApiModelName = keyof typeof FACE_API_MODELS;

const FACE_API_PACKAGE = '@vladmandic/face-api';

/** The `model/` folder of the installed `@vladmandic/face-api` (a dependency of `@bigface/data`). */
export function faceApiModelDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return path.join(path.dirname(require.resolve(`${FACE_API_PACKAGE}/package.json`)), 'model');
  } catch (cause) {
    throw new BigFaceError(
      'FACE_MODEL_NOT_INSTALLED',
      `face detection needs the model files of ${FACE_API_PACKAGE}, which is not installed next to @bigface/data: run 'npm install ${FACE_API_PACKAGE}@1.7.15'`,
      { cause },
    );
  }
}

/**
 * Reads one model's weights from disk into tensors (no network: the files ship in the npm package).
 * The caller owns the tensors and disposes them.
 *
 * @example
 * import { loadFaceApiWeights } from '@bigface/data';
 * const weights = loadFaceApiWeights('face-landmark-68'); // { 'dense0/conv0/filters': Tensor, ... }
 */
export function loadFaceApiWeights(name: FaceApiModelName, directory = faceApiModelDirectory()): tf.NamedTensorMap {
  const model = FACE_API_MODELS[name];
  if (model === undefined) {
    throw new BigFaceError('UNKNOWN_FACE_MODEL', `unknown face model '${String(name)}': choose one of ${Object.keys(FACE_API_MODELS).join(', ')}`);
  }
  const manifestPath = path.join(directory, `${model.file}-weights_manifest.json`);
  let manifest: tf.io.WeightsManifestConfig;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as tf.io.WeightsManifestConfig;
  } catch (cause) {
    throw new BigFaceError(
      'FACE_MODEL_INVALID',
      `cannot read the weights manifest '${manifestPath}': ${(cause as Error).message}; reinstall ${FACE_API_PACKAGE} (npm install ${FACE_API_PACKAGE}@1.7.15)`,
      { cause },
    );
  }
  const chunks: Buffer[] = [];
  for (const group of manifest) {
    for (const file of group.paths) {
      const binPath = path.join(directory, file);
      try {
        chunks.push(readFileSync(binPath));
      } catch (cause) {
        throw new BigFaceError('FACE_MODEL_INVALID', `cannot read the weights file '${binPath}': ${(cause as Error).message}; reinstall ${FACE_API_PACKAGE}`, {
          cause,
        });
      }
    }
  }
  const bytes = Buffer.concat(chunks);
  const specs = manifest.flatMap((group) => group.weights);
  const expected = specs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * bytesPerElement(spec), 0);
  if (bytes.length !== expected) {
    throw new BigFaceError(
      'FACE_MODEL_INVALID',
      `'${path.join(directory, model.file)}.bin' has ${bytes.length} bytes but its manifest describes ${expected}: the file is cut off or from another version; reinstall ${FACE_API_PACKAGE}@1.7.15`,
    );
  }
  return tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, specs);
}

/** Takes a named weight out of `weights`, checking its rank, or throws naming the model and the weight. */
export function takeWeight<R extends tf.Rank>(weights: tf.NamedTensorMap, model: string, name: string, rank: number): tf.Tensor<R> {
  const tensor = weights[name];
  if (tensor === undefined || tensor.rank !== rank) {
    throw new BigFaceError(
      'FACE_MODEL_INVALID',
      `${model}: weight '${name}' is ${tensor === undefined ? 'missing' : `of rank ${tensor.rank}, expected ${rank}`}; the model files are not those of ${FACE_API_PACKAGE}@1.7.15`,
    );
  }
  return tensor as tf.Tensor<R>;
}

function bytesPerElement(spec: tf.io.WeightsManifestEntry): number {
  const stored = spec.quantization?.dtype ?? spec.dtype;
  return stored === 'uint8' || stored === 'bool' ? 1 : stored === 'uint16' || stored === 'float16' ? 2 : 4;
}
