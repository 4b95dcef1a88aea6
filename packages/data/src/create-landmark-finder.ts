import type { LandmarkFinder } from '@bigface/mask-synth';
import { sharedFaceDetector } from './detect-faces';
import { FaceAlignPool } from './face-align-pool';
import type { FaceDetector } from './face-detector';

/**
 * The face detector as `maskImage`'s `findLandmarks` (@bigface/mask-synth has no tensors, so the
 * detector is handed in): the 68 landmarks of every face (or only the largest), largest first. Runs on
 * `source` — a {@link FaceAlignPool} (worker threads) or a {@link FaceDetector} — or, by default, on the
 * shared detector of this thread's tfjs backend. The caller closes what it passed in.
 *
 * @example
 * import { createLandmarkFinder, FaceAlignPool } from '@bigface/data';
 * import { maskImage } from '@bigface/mask-synth';
 * const pool = new FaceAlignPool({ workers: 1 });
 * const { encoded } = await maskImage('group.jpg', { seed: 1, synthesizer: 'natural', findLandmarks: createLandmarkFinder(pool) });
 * await pool.close();
 */
export function createLandmarkFinder(source?: FaceAlignPool | FaceDetector, options: { allFaces?: boolean } = {}): LandmarkFinder {
  const allFaces = options.allFaces ?? true;
  return async (image, { inputName }) => {
    const faces = source instanceof FaceAlignPool ? await source.detect(image, inputName) : await (source ?? sharedFaceDetector()).detect(image);
    return (allFaces ? faces : faces.slice(0, 1)).map((face) => face.landmarks68);
  };
}
