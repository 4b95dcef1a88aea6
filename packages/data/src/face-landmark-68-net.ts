import { tf } from '@bigface/backend';
import { loadFaceApiWeights, takeWeight } from './face-api-models';

const MODEL = 'face-landmark-68';
const MEAN_RGB = [122.782, 117.001, 104.298] as const;

interface SeparableParams {
  depthwise: tf.Tensor4D;
  pointwise: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** The weights of face-api.js's 68-point landmark net (four dense blocks of separable convs, then a dense layer). */
export interface FaceLandmark68Params {
  blocks: { stem: { filters: tf.Tensor4D; bias: tf.Tensor1D } | SeparableParams; convs: SeparableParams[] }[];
  fc: { weights: tf.Tensor2D; bias: tf.Tensor1D };
}

/** Reads the landmark net's weights from `@vladmandic/face-api`. */
export function loadFaceLandmark68(): FaceLandmark68Params {
  const weights = loadFaceApiWeights(MODEL);
  const separable = (prefix: string): SeparableParams => ({
    depthwise: takeWeight(weights, MODEL, `${prefix}/depthwise_filter`, 4),
    pointwise: takeWeight(weights, MODEL, `${prefix}/pointwise_filter`, 4),
    bias: takeWeight(weights, MODEL, `${prefix}/bias`, 1),
  });
  return {
    blocks: Array.from({ length: 4 }, (_, block) => ({
      stem:
        block === 0
          ? { filters: takeWeight<tf.Rank.R4>(weights, MODEL, 'dense0/conv0/filters', 4), bias: takeWeight<tf.Rank.R1>(weights, MODEL, 'dense0/conv0/bias', 1) }
          : separable(`dense${block}/conv0`),
      convs: [1, 2, 3].map((conv) => separable(`dense${block}/conv${conv}`)),
    })),
    fc: { weights: takeWeight(weights, MODEL, 'fc/weights', 2), bias: takeWeight(weights, MODEL, 'fc/bias', 1) },
  };
}

function separableConv(x: tf.Tensor4D, params: SeparableParams, stride: 1 | 2): tf.Tensor4D {
  return tf.add(tf.separableConv2d(x, params.depthwise, params.pointwise, stride, 'same'), params.bias);
}

/**
 * The landmark net on a batch of 112x112 RGB face crops (0..255, the face centred in a square):
 * `[B, 68, 2]` points as fractions of the crop side (x, y), iBUG 68-point order.
 */
export function faceLandmark68(x: tf.Tensor4D, params: FaceLandmark68Params): tf.Tensor3D {
  return tf.tidy(() => {
    let out = tf.div(tf.sub(x, tf.tensor1d(MEAN_RGB as unknown as number[])), 255) as tf.Tensor4D;
    for (const { stem, convs } of params.blocks) {
      // A dense block: each conv sees the sum of all earlier outputs of the block.
      const first = tf.relu('filters' in stem ? tf.add(tf.conv2d(out, stem.filters, 2, 'same'), stem.bias) : separableConv(out, stem, 2)) as tf.Tensor4D;
      let sum: tf.Tensor4D = first;
      let last: tf.Tensor4D = first;
      convs.forEach((conv, index) => {
        last = separableConv(index === 0 ? first : (tf.relu(sum) as tf.Tensor4D), conv, 1);
        sum = tf.add(sum, last);
      });
      out = tf.relu(sum) as tf.Tensor4D;
    }
    const pooled = tf.avgPool(out, 7, 2, 'valid');
    const flat = tf.reshape(pooled, [x.shape[0], -1]) as tf.Tensor2D;
    return tf.reshape(tf.add(tf.matMul(flat, params.fc.weights), params.fc.bias), [x.shape[0], 68, 2]);
  });
}
