import { tf } from '@bigface/backend';
import { loadFaceApiWeights, takeWeight } from './face-api-models';

const MODEL = 'tiny-face-detector';
/** face-api.js's anchors (in cells of the 13x13 output grid at 416) and its mean RGB. */
const ANCHORS: readonly (readonly [number, number])[] = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];
const MEAN_RGB = [117.001, 114.697, 97.404] as const;

interface SeparableParams {
  depthwise: tf.Tensor4D;
  pointwise: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** The weights of face-api.js's Tiny Face Detector (a Tiny-YOLOv2 with separable convolutions). */
export interface TinyFaceDetectorParams {
  stem: { filters: tf.Tensor4D; bias: tf.Tensor1D };
  layers: SeparableParams[];
  head: { filters: tf.Tensor4D; bias: tf.Tensor1D };
}

/** Reads the detector's weights from `@vladmandic/face-api`. */
export function loadTinyFaceDetector(): TinyFaceDetectorParams {
  const weights = loadFaceApiWeights(MODEL);
  return {
    stem: { filters: takeWeight(weights, MODEL, 'conv0/filters', 4), bias: takeWeight(weights, MODEL, 'conv0/bias', 1) },
    layers: Array.from({ length: 5 }, (_, index) => ({
      depthwise: takeWeight<tf.Rank.R4>(weights, MODEL, `conv${index + 1}/depthwise_filter`, 4),
      pointwise: takeWeight<tf.Rank.R4>(weights, MODEL, `conv${index + 1}/pointwise_filter`, 4),
      bias: takeWeight<tf.Rank.R1>(weights, MODEL, `conv${index + 1}/bias`, 1),
    })),
    head: { filters: takeWeight(weights, MODEL, 'conv8/filters', 4), bias: takeWeight(weights, MODEL, 'conv8/bias', 1) },
  };
}

function leaky(x: tf.Tensor4D): tf.Tensor4D {
  return tf.leakyRelu(x, 0.10000000149011612);
}

/**
 * The network on a batch of RGB images (0..255) of side `inputSize` (a multiple of 32): the raw YOLO
 * output `[B, S, S, 5 anchors x 5]` with S = inputSize / 32.
 */
export function tinyFaceDetector(x: tf.Tensor4D, params: TinyFaceDetectorParams): tf.Tensor4D {
  return tf.tidy(() => {
    const input = tf.div(tf.sub(x, tf.tensor1d(MEAN_RGB as unknown as number[])), 255) as tf.Tensor4D;
    let out = leaky(tf.add(tf.conv2d(input, params.stem.filters, 1, 'valid'), params.stem.bias));
    // face-api.js's stem is an unpadded 3x3 conv; the pooling layers are 'same'.
    for (const layer of params.layers) {
      out = tf.maxPool(out, 2, 2, 'same');
      const padded = tf.pad(out, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]);
      out = leaky(tf.add(tf.separableConv2d(padded, layer.depthwise, layer.pointwise, 1, 'valid'), layer.bias));
    }
    out = tf.maxPool(out, 2, 1, 'same');
    return tf.add(tf.conv2d(out, params.head.filters, 1, 'valid'), params.head.bias);
  });
}

/** Decodes the YOLO grid into boxes `[ymin, xmin, ymax, xmax]` of the unit input square with scores. */
export function decodeTinyBoxes(output: Float32Array, cells: number, minScore: number): { box: [number, number, number, number]; score: number }[] {
  const sigmoid = (value: number) => 1 / (1 + Math.exp(-value));
  const found: { box: [number, number, number, number]; score: number }[] = [];
  for (let row = 0; row < cells; row++) {
    for (let col = 0; col < cells; col++) {
      for (let anchor = 0; anchor < ANCHORS.length; anchor++) {
        const at = ((row * cells + col) * ANCHORS.length + anchor) * 5;
        const score = sigmoid(output[at + 4]!);
        if (score < minScore) continue;
        const centreX = (col + sigmoid(output[at]!)) / cells;
        const centreY = (row + sigmoid(output[at + 1]!)) / cells;
        const width = (Math.exp(output[at + 2]!) * ANCHORS[anchor]![0]) / cells;
        const height = (Math.exp(output[at + 3]!) * ANCHORS[anchor]![1]) / cells;
        found.push({ box: [centreY - height / 2, centreX - width / 2, centreY + height / 2, centreX + width / 2], score });
      }
    }
  }
  return found;
}
