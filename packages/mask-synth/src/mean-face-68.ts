import type { Point } from './geometry';

/**
 * A mean 68-point face (iBUG / dlib order) in the ArcFace 112x112 aligned frame, used when only five
 * points (or none, for aligned crops) are given. Derived by `scripts/derive-mean-face.mjs`: the 68-point
 * landmarks of the 19 faces with detector score >= 0.8 in @vladmandic/face-api's demo photos
 * (test/fixtures/face-api-demo-landmarks.json), each mapped onto {@link ARCFACE_TEMPLATE_112} by the
 * least-squares similarity of its five key points, mirrored copies added, averaged. The chin (point 8)
 * lies just below the crop, as it does in real aligned crops.
 *
 * @example
 * import { MEAN_FACE_68 } from '@bigface/mask-synth';
 * const chin = MEAN_FACE_68[8]; // [56.26, 113.3]
 */
export const MEAN_FACE_68: readonly Point[] = Object.freeze([
  [15.73, 51.49],
  [16.42, 62.13],
  [18.59, 72.01],
  [21.05, 80.85],
  [25.08, 90.26],
  [30.78, 98.2],
  [37.06, 103.77],
  [44.71, 109.92],
  [56.26, 113.3],
  [67.76, 109.79],
  [75.35, 103.55],
  [81.56, 97.92],
  [87.17, 89.92],
  [91.1, 80.46],
  [93.46, 71.6],
  [95.53, 61.69],
  [96.09, 51.04],
  [23.5, 41.88],
  [28.33, 38.29],
  [34.48, 37.66],
  [40.47, 38.83],
  [45.65, 40.84],
  [66.05, 40.73],
  [71.21, 38.66],
  [77.19, 37.43],
  [83.35, 37.98],
  [88.22, 41.52],
  [55.93, 53.92],
  [55.97, 61.9],
  [56.01, 69.08],
  [56.05, 75.62],
  [49.31, 78.69],
  [52.22, 79.84],
  [56.08, 80.91],
  [59.92, 79.8],
  [62.81, 78.62],
  [31.48, 51.49],
  [35, 49.92],
  [40.4, 49.9],
  [45.28, 52.67],
  [40.92, 54.27],
  [35.31, 54.18],
  [66.56, 52.55],
  [71.4, 49.73],
  [76.81, 49.69],
  [80.34, 51.22],
  [76.55, 53.95],
  [70.94, 54.1],
  [41.12, 90.05],
  [46.36, 88.65],
  [52.78, 87.15],
  [56.11, 87.78],
  [59.44, 87.11],
  [65.88, 88.54],
  [71.13, 89.89],
  [65.99, 95.81],
  [60.96, 98.71],
  [56.18, 99.54],
  [51.39, 98.76],
  [46.33, 95.92],
  [42.32, 90.29],
  [51.55, 90.39],
  [56.13, 90.59],
  [60.7, 90.34],
  [69.94, 90.14],
  [60.58, 93.77],
  [56.15, 94.45],
  [51.72, 93.82],
] as const);
