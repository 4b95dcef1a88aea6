import { tf } from '@bigface/backend';
import { loadFaceApiWeights, takeWeight } from './face-api-models';

const MODEL = 'ssd-mobilenet-v1';
// MobileNetV1's depthwise layers that halve the feature map (1-based, as in TF's slim MobileNetV1).
const STRIDE_TWO_LAYERS = new Set([2, 4, 6, 12]);
const BATCH_NORM_EPSILON = 0.0010000000474974513;

interface PointwiseParams {
  filters: tf.Tensor4D;
  bias: tf.Tensor1D;
}
interface DepthwiseParams {
  filters: tf.Tensor4D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  offset: tf.Tensor1D;
  scale: tf.Tensor1D;
}
interface PredictorParams {
  boxFilters: tf.Tensor4D;
  boxBias: tf.Tensor1D;
  classFilters: tf.Tensor4D;
  classBias: tf.Tensor1D;
}

/** The weights of face-api.js's SSD MobileNetV1 face detector, as tensors. */
export interface SsdMobilenetV1Params {
  stem: PointwiseParams;
  layers: { depthwise: DepthwiseParams; pointwise: PointwiseParams }[];
  extra: PointwiseParams[];
  predictors: PredictorParams[];
  /** Anchor boxes `[5118, 4]` (ymin, xmin, ymax, xmax), normalised to the 512x512 input. */
  anchors: Float32Array;
}

/** Reads the detector's weights from `@vladmandic/face-api` and arranges them by layer. */
export function loadSsdMobilenetV1(): SsdMobilenetV1Params {
  const weights = loadFaceApiWeights(MODEL);
  const pointwise = (prefix: string): PointwiseParams => ({
    filters: takeWeight(weights, MODEL, `${prefix}/weights`, 4),
    bias: takeWeight(weights, MODEL, `${prefix}/convolution_bn_offset`, 1),
  });
  const layers = Array.from({ length: 13 }, (_, index) => {
    const prefix = `MobilenetV1/Conv2d_${index + 1}_depthwise`;
    return {
      depthwise: {
        filters: takeWeight<tf.Rank.R4>(weights, MODEL, `${prefix}/depthwise_weights`, 4),
        scale: takeWeight<tf.Rank.R1>(weights, MODEL, `${prefix}/BatchNorm/gamma`, 1),
        offset: takeWeight<tf.Rank.R1>(weights, MODEL, `${prefix}/BatchNorm/beta`, 1),
        mean: takeWeight<tf.Rank.R1>(weights, MODEL, `${prefix}/BatchNorm/moving_mean`, 1),
        variance: takeWeight<tf.Rank.R1>(weights, MODEL, `${prefix}/BatchNorm/moving_variance`, 1),
      },
      pointwise: pointwise(`MobilenetV1/Conv2d_${index + 1}_pointwise`),
    };
  });
  const predictors = Array.from({ length: 6 }, (_, index) => {
    const prefix = `Prediction/BoxPredictor_${index}`;
    return {
      boxFilters: takeWeight<tf.Rank.R4>(weights, MODEL, `${prefix}/BoxEncodingPredictor/weights`, 4),
      boxBias: takeWeight<tf.Rank.R1>(weights, MODEL, `${prefix}/BoxEncodingPredictor/biases`, 1),
      classFilters: takeWeight<tf.Rank.R4>(weights, MODEL, `${prefix}/ClassPredictor/weights`, 4),
      classBias: takeWeight<tf.Rank.R1>(weights, MODEL, `${prefix}/ClassPredictor/biases`, 1),
    };
  });
  const anchorTensor = takeWeight(weights, MODEL, 'Output/extra_dim', 3);
  const params: SsdMobilenetV1Params = {
    stem: pointwise('MobilenetV1/Conv2d_0_pointwise'),
    layers,
    extra: Array.from({ length: 8 }, (_, index) => pointwise(`Prediction/Conv2d_${index}_pointwise`)),
    predictors,
    anchors: anchorTensor.dataSync() as Float32Array,
  };
  // Free what the forward pass does not use (the anchors are kept as a plain array).
  const used = new Set<tf.Tensor>(listTensors(params));
  for (const tensor of Object.values(weights)) if (!used.has(tensor)) tensor.dispose();
  return params;
}

/** Every tensor of the parameters (to dispose them). */
export function listTensors(params: SsdMobilenetV1Params): tf.Tensor[] {
  return [
    params.stem.filters,
    params.stem.bias,
    ...params.layers.flatMap(({ depthwise, pointwise }) => [...Object.values(depthwise), pointwise.filters, pointwise.bias]),
    ...params.extra.flatMap((layer) => [layer.filters, layer.bias]),
    ...params.predictors.flatMap((predictor) => Object.values(predictor)),
  ];
}

function pointwiseLayer(x: tf.Tensor4D, params: PointwiseParams, stride: 1 | 2): tf.Tensor4D {
  return tf.clipByValue(tf.add(tf.conv2d(x, params.filters, stride, 'same'), params.bias), 0, 6) as tf.Tensor4D;
}

function depthwiseLayer(x: tf.Tensor4D, params: DepthwiseParams, stride: 1 | 2): tf.Tensor4D {
  const out = tf.depthwiseConv2d(x, params.filters, stride, 'same');
  return tf.clipByValue(tf.batchNorm(out, params.mean, params.variance, params.offset, params.scale, BATCH_NORM_EPSILON), 0, 6);
}

/**
 * The network on a batch of 512x512 RGB images scaled to [-1, 1]: raw box encodings `[B, 5118, 4]`
 * and face logits `[B, 5118]` (before the sigmoid), one per anchor. Decoding and non-max suppression
 * happen in JS ({@link decodeSsdBoxes}): only a handful of anchors pass the score threshold.
 */
export function ssdMobilenetV1(x: tf.Tensor4D, params: SsdMobilenetV1Params): { boxes: tf.Tensor3D; logits: tf.Tensor2D } {
  return tf.tidy(() => {
    let out = pointwiseLayer(x, params.stem, 2);
    let conv11: tf.Tensor4D | null = null;
    params.layers.forEach((layer, index) => {
      out = depthwiseLayer(out, layer.depthwise, STRIDE_TWO_LAYERS.has(index + 1) ? 2 : 1);
      out = pointwiseLayer(out, layer.pointwise, 1);
      if (index + 1 === 11) conv11 = out;
    });
    const features: tf.Tensor4D[] = [conv11!, out];
    let extra = out;
    params.extra.forEach((layer, index) => {
      extra = pointwiseLayer(extra, layer, index % 2 === 1 ? 2 : 1);
      if (index % 2 === 1) features.push(extra);
    });
    const batch = x.shape[0];
    const boxes: tf.Tensor3D[] = [];
    const logits: tf.Tensor2D[] = [];
    features.forEach((feature, index) => {
      const predictor = params.predictors[index]!;
      boxes.push(tf.reshape(tf.add(tf.conv2d(feature, predictor.boxFilters, 1, 'same'), predictor.boxBias), [batch, -1, 4]));
      const classes = tf.reshape(tf.add(tf.conv2d(feature, predictor.classFilters, 1, 'same'), predictor.classBias), [batch, -1, 3]);
      // Channel 0 is the background; channel 1 is "face" (face-api.js reads this one).
      logits.push(tf.reshape(tf.slice(classes, [0, 0, 1], [-1, -1, 1]), [batch, -1]));
    });
    return { boxes: tf.concat(boxes, 1), logits: tf.concat(logits, 1) };
  });
}

/**
 * Decodes the SSD box encodings of the anchors whose face score passes `minScore` (TF object detection
 * API's FasterRcnnBoxCoder, scales 10, 10, 5, 5): boxes `[ymin, xmin, ymax, xmax]` in the 512 input's
 * unit square, with their scores.
 */
export function decodeSsdBoxes(
  encodings: Float32Array,
  logits: Float32Array,
  anchors: Float32Array,
  minScore: number,
): { box: [number, number, number, number]; score: number }[] {
  const found: { box: [number, number, number, number]; score: number }[] = [];
  for (let i = 0; i < logits.length; i++) {
    const score = 1 / (1 + Math.exp(-logits[i]!));
    if (score < minScore) continue;
    const [ay0, ax0, ay1, ax1] = [anchors[i * 4]!, anchors[i * 4 + 1]!, anchors[i * 4 + 2]!, anchors[i * 4 + 3]!];
    const anchorHeight = ay1 - ay0;
    const anchorWidth = ax1 - ax0;
    const centreY = (encodings[i * 4]! / 10) * anchorHeight + ay0 + anchorHeight / 2;
    const centreX = (encodings[i * 4 + 1]! / 10) * anchorWidth + ax0 + anchorWidth / 2;
    const halfHeight = (Math.exp(encodings[i * 4 + 2]! / 5) * anchorHeight) / 2;
    const halfWidth = (Math.exp(encodings[i * 4 + 3]! / 5) * anchorWidth) / 2;
    found.push({ box: [centreY - halfHeight, centreX - halfWidth, centreY + halfHeight, centreX + halfWidth], score });
  }
  return found;
}
