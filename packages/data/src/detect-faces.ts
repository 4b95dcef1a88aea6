import { decodeImage, type RawImage } from '@bigface/mask-synth';
import { FaceDetector, type DetectedFace, type FaceDetectorOptions } from './face-detector';

/** An image to find faces in: a file path, encoded bytes (JPEG, PNG, WebP, ...), or decoded pixels. */
export type FaceImageInput = string | Uint8Array | RawImage;

/** Options of {@link detectFaces}. */
export interface DetectFacesOptions extends FaceDetectorOptions {
  /** A detector to use; default: one shared detector per set of options, loaded on first use. */
  detector?: FaceDetector;
  /** Names the input in errors (default: its path, or "buffer (N bytes)"). */
  inputName?: string;
}

const shared = new Map<string, FaceDetector>();

/** The shared detector for these options (loaded once; {@link releaseFaceDetectors} frees them). */
export function sharedFaceDetector(options: FaceDetectorOptions = {}): FaceDetector {
  const key = JSON.stringify([options.model ?? 'ssd-mobilenet-v1', options.minScore ?? 0.5, options.maxFaces ?? 100, options.inputSize ?? 0]);
  let detector = shared.get(key);
  if (detector === undefined) {
    detector = FaceDetector.load(options);
    shared.set(key, detector);
  }
  return detector;
}

/** Frees the shared detectors' weights (they are loaded again on the next call). */
export function releaseFaceDetectors(): void {
  for (const detector of shared.values()) detector.dispose();
  shared.clear();
}

/** Decodes an input to RGB pixels (EXIF orientation applied), or passes decoded pixels through. */
export async function toRgbPixels(input: FaceImageInput, inputName?: string): Promise<RawImage> {
  if (typeof input === 'string' || input instanceof Uint8Array)
    return decodeImage(input, { inputName: inputName ?? (typeof input === 'string' ? input : `buffer (${input.length} bytes)`) });
  return input;
}

/**
 * Finds the faces in a photo with five ArcFace landmarks (and 68 iBUG points), largest first, in pixels
 * of the photo as displayed (EXIF orientation applied). Runs on the current tfjs backend.
 *
 * @example
 * import { initBackend } from '@bigface/backend';
 * import { detectFaces } from '@bigface/data';
 * await initBackend({ backend: 'wasm' });
 * const faces = await detectFaces('group.jpg', { minScore: 0.6 });
 * for (const face of faces) console.log(face.score.toFixed(2), face.box, face.landmarks);
 */
export async function detectFaces(input: FaceImageInput, options: DetectFacesOptions = {}): Promise<DetectedFace[]> {
  const { detector, inputName, ...detectorOptions } = options;
  const image = await toRgbPixels(input, inputName);
  return (detector ?? sharedFaceDetector(detectorOptions)).detect(image);
}
