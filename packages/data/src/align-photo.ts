import { encodeImage } from '@bigface/mask-synth';
import { alignFacePixels } from './align-face-pixels';
import { toRgbPixels } from './detect-faces';
import type { FaceBox, FaceDetector } from './face-detector';

/** One face of {@link AlignedPhoto}: detection, and the encoded ArcFace crop. */
export interface AlignedPhotoFace {
  box: FaceBox;
  score: number;
  landmarks: [number, number][];
  /** The encoded crop (JPEG by default). */
  crop: Uint8Array;
}

/** What aligning one photo gives: its displayed size and its faces (largest first). */
export interface AlignedPhoto {
  width: number;
  height: number;
  faces: AlignedPhotoFace[];
}

/** How each photo is aligned and encoded (the same on every thread). */
export interface AlignPhotoSettings {
  allFaces: boolean;
  size: number;
  format: 'jpeg' | 'png';
  quality: number;
}

/** Decode (EXIF orientation applied) -> detect -> keep the largest face or all -> warp -> encode. */
export async function alignPhoto(file: string | Uint8Array, detector: FaceDetector, settings: AlignPhotoSettings, inputName?: string): Promise<AlignedPhoto> {
  const image = await toRgbPixels(file, inputName);
  const detected = await detector.detect(image);
  const chosen = settings.allFaces ? detected : detected.slice(0, 1);
  const faces: AlignedPhotoFace[] = [];
  for (const face of chosen) {
    const { image: crop } = alignFacePixels(image, face.landmarks, { size: settings.size });
    faces.push({
      box: face.box,
      score: face.score,
      landmarks: face.landmarks,
      crop: await encodeImage(crop, { format: settings.format, quality: settings.quality }),
    });
  }
  return { width: image.width, height: image.height, faces };
}
