import type { Point } from './geometry';

/**
 * The ArcFace five-point template of insightface's 112x112 aligned crops (the layout WebFace42M and
 * MS1MV3 ship in): left eye, right eye, nose tip, left mouth corner, right mouth corner, as `[x, y]`
 * pixels. "Left" is the image's left.
 *
 * @example
 * import { ARCFACE_TEMPLATE_112 } from '@bigface/mask-synth';
 * const [leftEye] = ARCFACE_TEMPLATE_112; // [38.2946, 51.6963]
 */
export const ARCFACE_TEMPLATE_112: readonly Point[] = Object.freeze([
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
] as const);
