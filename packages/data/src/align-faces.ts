import type { RawImage } from '@bigface/mask-synth';
import { alignFacePixels } from './align-face-pixels';
import { detectFaces, toRgbPixels, type DetectFacesOptions, type FaceImageInput } from './detect-faces';
import type { SimilarityMatrix } from './estimate-similarity';
import type { DetectedFace } from './face-detector';

/** A face found and aligned: the detection plus its ArcFace crop. */
export interface AlignedFace extends DetectedFace {
  /** The `size` x `size` RGB crop. */
  image: RawImage & { channels: 3 };
  /** Photo pixel -> crop pixel. */
  matrix: SimilarityMatrix;
}

/** Options of {@link alignFaces}. */
export interface AlignFacesOptions extends DetectFacesOptions {
  /** Every face scoring at least `minScore` (default: only the largest). */
  allFaces?: boolean;
  /** Crop side (default 112). */
  size?: number;
}

/**
 * From a raw photo to aligned faces: detect, keep the largest face (or all), and warp each onto the
 * ArcFace 112x112 template with the similarity of its five points — what insightface does with
 * RetinaFace and `norm_crop` before packing a RecordIO. A photo without a face gives `faces: []`.
 *
 * @example
 * import { initBackend } from '@bigface/backend';
 * import { alignFaces } from '@bigface/data';
 * import { encodeImage } from '@bigface/mask-synth';
 * import { writeFileSync } from 'node:fs';
 * await initBackend({ backend: 'wasm' });
 * const { faces } = await alignFaces('photo.jpg');
 * if (faces[0]) writeFileSync('face.jpg', await encodeImage(faces[0].image, 'jpeg', 95));
 */
export async function alignFaces(input: FaceImageInput, options: AlignFacesOptions = {}): Promise<{ width: number; height: number; faces: AlignedFace[] }> {
  const { allFaces = false, size = 112, ...detectOptions } = options;
  const image = await toRgbPixels(input, options.inputName);
  const detected = await detectFaces(image, detectOptions);
  const chosen = allFaces ? detected : detected.slice(0, 1);
  const faces = chosen.map((face) => ({ ...face, ...alignFacePixels(image, face.landmarks, { size }) }));
  return { width: image.width, height: image.height, faces };
}
