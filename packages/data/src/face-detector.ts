import { tf } from '@bigface/backend';
import { assertArgument, BigFaceError } from '@bigface/backend/errors';
import sharp from 'sharp';
import { FACE_API_MODELS } from './face-api-models';
import { faceLandmark68, loadFaceLandmark68, type FaceLandmark68Params } from './face-landmark-68-net';
import type { RawImage } from '@bigface/mask-synth';
import { nonMaxSuppression } from './non-max-suppression';
import { decodeSsdBoxes, listTensors, loadSsdMobilenetV1, ssdMobilenetV1, type SsdMobilenetV1Params } from './ssd-mobilenet-v1';
import { decodeTinyBoxes, loadTinyFaceDetector, tinyFaceDetector, type TinyFaceDetectorParams } from './tiny-face-detector';

/** The detectors {@link FaceDetector} runs (both from `@vladmandic/face-api`, MIT). */
export const FACE_DETECTOR_MODELS = ['ssd-mobilenet-v1', 'tiny-face-detector'] as const;
/** A name of {@link FACE_DETECTOR_MODELS}. */
export type FaceDetectorModel = (typeof FACE_DETECTOR_MODELS)[number];

/** A box in pixels of the image as displayed (EXIF orientation applied): left, top, width, height. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One face found in an image. Points are `[x, y]` pixel indices (pixel centres on integers, as OpenCV's). */
export interface DetectedFace {
  box: FaceBox;
  /** The detector's confidence, 0..1. */
  score: number;
  /** The five ArcFace points: image-left eye centre, image-right eye centre, nose tip, left and right mouth corner. */
  landmarks: [number, number][];
  /** The 68 iBUG points the five are taken from (eye centres = means of 36-41 and 42-47; 30; 48; 54). */
  landmarks68: [number, number][];
}

/** Options of {@link FaceDetector.load}. */
export interface FaceDetectorOptions {
  /** 'ssd-mobilenet-v1' (default: better recall and boxes) or 'tiny-face-detector' (faster, misses small faces). */
  model?: FaceDetectorModel;
  /** Faces scoring below are dropped (default 0.5, face-api.js's default). */
  minScore?: number;
  /** At most this many faces per image, best first (default 100). */
  maxFaces?: number;
  /** Input side for 'tiny-face-detector', a multiple of 32 (default 416); the SSD is fixed at 512. */
  inputSize?: number;
}

/** Box overlap above which the weaker of two detections is dropped (face-api.js: 0.5 SSD, 0.4 tiny). */
const IOU_THRESHOLD: Record<FaceDetectorModel, number> = { 'ssd-mobilenet-v1': 0.5, 'tiny-face-detector': 0.4 };

/**
 * A face detector with 68 (and so 5) landmarks on @bigface/backend's tfjs, from the weights that ship in
 * `@vladmandic/face-api` (no download): face-api.js's SSD MobileNetV1 (or Tiny Face Detector) finds the
 * faces, its 68-point landmark net places the points on a square crop around each, and the five ArcFace
 * points are read off the 68. Only tfjs-core ops: it runs on cpu (+ native kernels), wasm or tfjs-node.
 *
 * @example
 * import { initBackend } from '@bigface/backend';
 * import { FaceDetector } from '@bigface/data';
 * import { decodeImage } from '@bigface/mask-synth';
 * await initBackend();
 * const detector = FaceDetector.load();
 * const faces = await detector.detect(await decodeImage('photo.jpg')); // largest first
 * console.log(faces[0]?.box, faces[0]?.landmarks);
 * detector.dispose();
 */
export class FaceDetector {
  readonly model: FaceDetectorModel;
  readonly minScore: number;
  readonly maxFaces: number;
  readonly inputSize: number;
  private detectorParams: SsdMobilenetV1Params | TinyFaceDetectorParams | null;
  private landmarkParams: FaceLandmark68Params | null;

  private constructor(
    options: Required<FaceDetectorOptions>,
    detectorParams: SsdMobilenetV1Params | TinyFaceDetectorParams | null,
    landmarkParams: FaceLandmark68Params,
  ) {
    this.model = options.model;
    this.minScore = options.minScore;
    this.maxFaces = options.maxFaces;
    this.inputSize = options.inputSize;
    this.detectorParams = detectorParams;
    this.landmarkParams = landmarkParams;
  }

  /** Reads the weights from `@vladmandic/face-api`'s files into tensors on the current tfjs backend. */
  static load(options: FaceDetectorOptions = {}): FaceDetector {
    const model = options.model ?? 'ssd-mobilenet-v1';
    assertArgument(
      FACE_DETECTOR_MODELS.includes(model),
      'UNKNOWN_FACE_MODEL',
      () => `FaceDetector: unknown model '${model}': choose one of ${FACE_DETECTOR_MODELS.join(', ')}`,
    );
    const minScore = options.minScore ?? 0.5;
    assertArgument(minScore >= 0 && minScore < 1, 'INVALID_ARGUMENT', () => `FaceDetector: minScore must be in [0, 1), got ${minScore}`);
    const maxFaces = options.maxFaces ?? 100;
    assertArgument(Number.isInteger(maxFaces) && maxFaces >= 1, 'INVALID_ARGUMENT', () => `FaceDetector: maxFaces must be a positive integer, got ${maxFaces}`);
    const inputSize =
      model === 'ssd-mobilenet-v1' ? FACE_API_MODELS['ssd-mobilenet-v1'].inputSize : (options.inputSize ?? FACE_API_MODELS['tiny-face-detector'].inputSize);
    assertArgument(
      inputSize % 32 === 0 && inputSize >= 128,
      'INVALID_ARGUMENT',
      () => `FaceDetector: inputSize must be a multiple of 32 and at least 128, got ${inputSize}`,
    );
    const landmarks = loadFaceLandmark68();
    const detector = model === 'ssd-mobilenet-v1' ? loadSsdMobilenetV1() : loadTinyFaceDetector();
    return new FaceDetector({ model, minScore, maxFaces, inputSize }, detector, landmarks);
  }

  /**
   * Finds the faces of an RGB image and their landmarks, largest box first. Coordinates are pixels of
   * `image`. Leaves no tensor behind.
   */
  async detect(image: RawImage): Promise<DetectedFace[]> {
    const params = this.requireParams();
    checkImage(image);
    const size = this.inputSize;
    const scale = size / Math.max(image.width, image.height);
    const width = Math.max(1, Math.round(image.width * scale));
    const height = Math.max(1, Math.round(image.height * scale));
    // sharp shrinks with a proper filter (tfjs's resizeBilinear would alias at 4x); the rest is padded
    // black at the right and bottom, as face-api.js does.
    const resized =
      width === image.width && height === image.height
        ? image.data
        : await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
            .resize(width, height, { fit: 'fill' })
            .raw()
            .toBuffer();
    const ssd = this.model === 'ssd-mobilenet-v1';
    const input = new Float32Array(size * size * 3).fill(ssd ? -1 : 0);
    for (let y = 0; y < height; y++) {
      for (let i = y * width * 3, o = y * size * 3, end = i + width * 3; i < end; i++, o++) input[o] = ssd ? resized[i]! / 127.5 - 1 : resized[i]!;
    }
    let candidates: { box: [number, number, number, number]; score: number }[];
    if (ssd) {
      const detector = params as SsdMobilenetV1Params;
      const [encodings, logits] = await runAndRead(() => {
        const { boxes, logits } = ssdMobilenetV1(tf.tensor4d(input, [1, size, size, 3]), detector);
        return [boxes, logits];
      });
      candidates = decodeSsdBoxes(encodings!, logits!, detector.anchors, this.minScore);
    } else {
      const [output] = await runAndRead(() => [tinyFaceDetector(tf.tensor4d(input, [1, size, size, 3]), params as TinyFaceDetectorParams)]);
      candidates = decodeTinyBoxes(output!, size / 32, this.minScore);
    }
    const kept = nonMaxSuppression(candidates, IOU_THRESHOLD[this.model], this.maxFaces);
    // Unit-square boxes of the padded input -> pixels of the image.
    const toX = size / (width / image.width);
    const toY = size / (height / image.height);
    const boxes = kept
      .map(({ box: [top, left, bottom, right], score }) => {
        const x0 = Math.max(0, left * toX);
        const y0 = Math.max(0, top * toY);
        const x1 = Math.min(image.width, right * toX);
        const y1 = Math.min(image.height, bottom * toY);
        return { box: { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) }, score };
      })
      .filter(({ box }) => box.width >= 1 && box.height >= 1);
    const landmarks = await this.landmarks(
      image,
      boxes.map(({ box }) => box),
    );
    return boxes
      .map(({ box, score }, index) => ({ box, score, ...landmarks[index]! }))
      .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height || b.score - a.score);
  }

  /**
   * The 68 and 5 landmarks of faces whose boxes are known (e.g. a whole aligned crop, or boxes from
   * another detector): each box is widened to a square about its centre, as the landmark net expects.
   */
  async landmarks(image: RawImage, boxes: readonly FaceBox[]): Promise<{ landmarks: [number, number][]; landmarks68: [number, number][] }[]> {
    if (boxes.length === 0) return [];
    const params = this.requireLandmarkParams();
    checkImage(image);
    const crop = FACE_API_MODELS['face-landmark-68'].inputSize;
    const squares = boxes.map((box) => {
      const side = Math.max(box.width, box.height);
      return { left: box.x + box.width / 2 - side / 2, top: box.y + box.height / 2 - side / 2, side };
    });
    const batch = new Float32Array(boxes.length * crop * crop * 3);
    squares.forEach((square, index) => {
      sampleSquare(image, square, crop, batch, index * crop * crop * 3);
    });
    const [points] = await runAndRead(() => [faceLandmark68(tf.tensor4d(batch, [boxes.length, crop, crop, 3]), params)]);
    return squares.map(({ left, top, side }, face) => {
      // The net's output is a fraction of the square's side; -0.5 turns edge coordinates into pixel indices.
      const landmarks68 = Array.from({ length: 68 }, (_, point): [number, number] => [
        left + points![(face * 68 + point) * 2]! * side - 0.5,
        top + points![(face * 68 + point) * 2 + 1]! * side - 0.5,
      ]);
      return { landmarks: fivePointsOf68(landmarks68), landmarks68 };
    });
  }

  /** Frees the weights; the detector cannot be used afterwards. */
  dispose(): void {
    if (this.detectorParams !== null) {
      const tensors = 'anchors' in this.detectorParams ? listTensors(this.detectorParams) : tensorsOf(this.detectorParams);
      for (const tensor of tensors) tensor.dispose();
    }
    if (this.landmarkParams !== null) for (const tensor of tensorsOf(this.landmarkParams)) tensor.dispose();
    this.detectorParams = null;
    this.landmarkParams = null;
  }

  private requireParams(): SsdMobilenetV1Params | TinyFaceDetectorParams {
    if (this.detectorParams === null)
      throw new BigFaceError('DETECTOR_DISPOSED', 'FaceDetector: used after dispose(); load a new one with FaceDetector.load()');
    return this.detectorParams;
  }

  private requireLandmarkParams(): FaceLandmark68Params {
    if (this.landmarkParams === null)
      throw new BigFaceError('DETECTOR_DISPOSED', 'FaceDetector: used after dispose(); load a new one with FaceDetector.load()');
    return this.landmarkParams;
  }
}

/** The five ArcFace points of 68 iBUG landmarks: eye centres (means of 36-41, 42-47), nose tip 30, mouth corners 48, 54. */
export function fivePointsOf68(points: readonly (readonly [number, number])[]): [number, number][] {
  assertArgument(points.length === 68, 'INVALID_LANDMARKS', () => `fivePointsOf68: need 68 points, got ${points.length}`);
  const mean = (from: number): [number, number] => {
    let x = 0,
      y = 0;
    for (let i = from; i < from + 6; i++) {
      x += points[i]![0] / 6;
      y += points[i]![1] / 6;
    }
    return [x, y];
  };
  return [mean(36), mean(42), [points[30]![0], points[30]![1]], [points[48]![0], points[48]![1]], [points[54]![0], points[54]![1]]];
}

function checkImage(image: RawImage): void {
  assertArgument(
    image !== null &&
      typeof image === 'object' &&
      image.data instanceof Uint8Array &&
      image.channels === 3 &&
      image.data.length === image.width * image.height * 3 &&
      image.width >= 1 &&
      image.height >= 1,
    'INVALID_IMAGE',
    () =>
      'FaceDetector: expected RGB pixels {data: Uint8Array, width, height, channels: 3} with data.length = width*height*3 (decodeImage from @bigface/mask-synth gives them)',
  );
}

/** Runs `build` in a tidy scope and reads its outputs back, disposing them. */
async function runAndRead(build: () => tf.Tensor[]): Promise<Float32Array[]> {
  const outputs = tf.tidy(build);
  try {
    return (await Promise.all(outputs.map((tensor) => tensor.data()))) as Float32Array[];
  } finally {
    for (const tensor of outputs) tensor.dispose();
  }
}

/**
 * Samples the square `[left, left + side)` x `[top, top + side)` of `image` (edge coordinates) into
 * `size` x `size` RGB floats at `offset` of `out`: bilinear, averaged over k x k points per output pixel
 * when the square is k times larger than the output (so big faces do not alias), black outside.
 */
function sampleSquare(image: RawImage, square: { left: number; top: number; side: number }, size: number, out: Float32Array, offset: number): void {
  const { data, width, height } = image;
  const step = square.side / size;
  const k = Math.max(1, Math.min(4, Math.round(step)));
  const weight = 1 / (k * k);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0,
        g = 0,
        b = 0;
      for (let sy = 0; sy < k; sy++) {
        const fy = square.top + (y + (sy + 0.5) / k) * step - 0.5;
        const y0 = Math.floor(fy);
        const ty = fy - y0;
        for (let sx = 0; sx < k; sx++) {
          const fx = square.left + (x + (sx + 0.5) / k) * step - 0.5;
          const x0 = Math.floor(fx);
          const tx = fx - x0;
          for (let dy = 0; dy < 2; dy++) {
            const py = y0 + dy;
            if (py < 0 || py >= height) continue;
            const wy = dy === 0 ? 1 - ty : ty;
            for (let dx = 0; dx < 2; dx++) {
              const px = x0 + dx;
              if (px < 0 || px >= width) continue;
              const w = wy * (dx === 0 ? 1 - tx : tx);
              const at = (py * width + px) * 3;
              r += w * data[at]!;
              g += w * data[at + 1]!;
              b += w * data[at + 2]!;
            }
          }
        }
      }
      const at = offset + (y * size + x) * 3;
      out[at] = r * weight;
      out[at + 1] = g * weight;
      out[at + 2] = b * weight;
    }
  }
}

function tensorsOf(value: unknown): tf.Tensor[] {
  if (value instanceof tf.Tensor) return [value];
  if (Array.isArray(value)) return value.flatMap(tensorsOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(tensorsOf);
  return [];
}
