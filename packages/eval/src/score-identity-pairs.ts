import { assertArgument, hashSeed, tf } from '@bigface/backend';
import type { RawImage } from '@bigface/mask-synth';
import { flipAveragedEmbeddings } from './flip-averaged-embeddings';
import { rawImagesToTensor } from './raw-images-to-tensor';
import type { IdentityPairs } from './sample-identity-pairs';
import { defaultFaceMasker, type FaceMasker } from './verification-protocol';

/** Every face once plain and once masked, as network input (see {@link prepareIdentityPairImages}). */
export interface IdentityPairImages {
  /** [N, S, S, 3], `(x/255 − 0.5)/0.5`. */
  plain: tf.Tensor4D;
  /** The same faces, each masked (face k with seed `hashSeed(seed, k)`). */
  masked: tf.Tensor4D;
}

/** Options of {@link prepareIdentityPairImages}. */
export interface PrepareIdentityPairImagesOptions {
  /** The masking function; default {@link defaultFaceMasker} (mask-synth). */
  mask?: FaceMasker;
  /** Seed of the masks; default 0. */
  seed?: number;
  /** Resize (bilinear, after masking the aligned 112×112 face) to this size; default: keep. */
  imageSize?: number;
}

/**
 * The two versions of every face of a verification set of labelled faces: plain, and masked by
 * mask-synth (for the MFR protocol), normalised and resized to the model's input. Prepared once,
 * they serve every model compared on the set; dispose both tensors when done.
 *
 * @example
 * const images = prepareIdentityPairImages(faces, { seed: 1, imageSize: 48 });
 */
export function prepareIdentityPairImages(faces: readonly RawImage[], options: PrepareIdentityPairImagesOptions = {}): IdentityPairImages {
  const { mask = defaultFaceMasker, seed = 0, imageSize } = options;
  assertArgument(faces.length > 0, 'EVAL_BAD_IMAGES', () => 'prepareIdentityPairImages: no faces');
  assertArgument(
    imageSize === undefined || (Number.isInteger(imageSize) && imageSize > 0),
    'EVAL_BAD_IMAGES',
    () => `prepareIdentityPairImages: imageSize must be a positive integer, got ${imageSize}`,
  );
  const toInput = (images: readonly RawImage[]) =>
    tf.tidy(() => {
      const tensor = rawImagesToTensor(images);
      return imageSize === undefined || (imageSize === tensor.shape[1] && imageSize === tensor.shape[2])
        ? tensor
        : (tf.image.resizeBilinear(tensor, [imageSize, imageSize]) as tf.Tensor4D);
    });
  const plain = toInput(faces);
  const masked = toInput(faces.map((face, index) => mask(face, hashSeed(seed, index))));
  return { plain, masked };
}

/** Cosine scores of the pairs of a verification set under the two protocols. */
export interface IdentityPairScores {
  /** Both faces plain (SFR). */
  standard: Float64Array;
  /** The first face plain, the second masked (MFR mask-to-nonmask). */
  masked: Float64Array;
}

/**
 * Scores one model on a set of identity pairs: flip-averaged, L2-normalised embeddings of every face
 * (plain and masked) computed once, then the cosine of each pair: `standard` compares two plain
 * faces, `masked` a plain first face with a masked second face — the protocols of
 * {@link applyVerificationProtocol}, without embedding a face once per pair it appears in.
 *
 * @example
 * const { standard, masked } = scoreIdentityPairs((x) => backbone.forward(x), images, pairs);
 * falseNonMatchRateAtFalseMatchRate(masked, pairs.issame, [1e-3]);
 */
export function scoreIdentityPairs(
  embed: (images: tf.Tensor4D) => tf.Tensor2D,
  images: IdentityPairImages,
  pairs: IdentityPairs,
  options: { batchSize?: number } = {},
): IdentityPairScores {
  const faces = images.plain.shape[0];
  assertArgument(images.masked.shape[0] === faces, 'EVAL_BAD_IMAGES', () => `scoreIdentityPairs: ${faces} plain but ${images.masked.shape[0]} masked faces`);
  for (let pair = 0; pair < pairs.issame.length; pair += 1) {
    const [a, b] = [pairs.first[pair]!, pairs.second[pair]!];
    assertArgument(
      a >= 0 && a < faces && b >= 0 && b < faces,
      'EVAL_BAD_PAIRS',
      () => `scoreIdentityPairs: pair ${pair} refers to faces ${a} and ${b}, but there are ${faces}`,
    );
  }
  const rows = (tensor: tf.Tensor4D) => {
    const embeddings = flipAveragedEmbeddings(embed, tensor, options);
    const values = embeddings.dataSync();
    embeddings.dispose();
    return { values, size: values.length / faces };
  };
  const plain = rows(images.plain);
  const masked = rows(images.masked);
  const cosine = (left: Float32Array | Int32Array | Uint8Array, right: typeof left, a: number, b: number, size: number) => {
    let dot = 0;
    for (let k = 0; k < size; k += 1) dot += left[a * size + k]! * right[b * size + k]!;
    return dot;
  };
  const count = pairs.issame.length;
  const standard = new Float64Array(count);
  const maskedScores = new Float64Array(count);
  for (let pair = 0; pair < count; pair += 1) {
    standard[pair] = cosine(plain.values, plain.values, pairs.first[pair]!, pairs.second[pair]!, plain.size);
    maskedScores[pair] = cosine(plain.values, masked.values, pairs.first[pair]!, pairs.second[pair]!, plain.size);
  }
  return { standard, masked: maskedScores };
}
