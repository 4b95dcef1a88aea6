import { assertArgument, type tf } from '@bigface/backend';
import { readVerificationBin } from '@bigface/data';
import { decodeImage, type RawImage } from '@bigface/mask-synth';
import sharp from 'sharp';
import { evaluateVerificationPairs, type EvaluateVerificationPairsOptions, type VerificationPairsReport } from './evaluate-verification-pairs';
import { rawImagesToTensor } from './raw-images-to-tensor';
import { VERIFICATION_PROTOCOLS, applyVerificationProtocol, type FaceMasker, type VerificationProtocol } from './verification-protocol';

/** Options of {@link evaluateVerificationBin}. */
export interface EvaluateVerificationBinOptions extends EvaluateVerificationPairsOptions {
  /** Protocols to run; default `['standard', 'masked']` (SFR and MFR). */
  protocols?: readonly VerificationProtocol[];
  /** Masking function of the masked protocols; default mask-synth (`defaultFaceMasker`). */
  mask?: FaceMasker;
  /** Seed of the masks; default 0. */
  seed?: number;
  /** Resize every decoded image to `imageSize`×`imageSize` first (insightface's `image_size`); default: keep the size. */
  imageSize?: number;
}

/** Wall-clock time of the stages of {@link evaluateVerificationBin}, in milliseconds, summed over the protocols. */
export interface VerificationBinTimings {
  /** Reading and unpickling the `.bin`. */
  readMilliseconds: number;
  /** JPEG decoding (and resizing to `imageSize`), once for all protocols. */
  decodeMilliseconds: number;
  /** Masking per protocol and normalising into a tensor. */
  maskMilliseconds: number;
  /** Flip-averaged embeddings (the model's forward passes). */
  embedMilliseconds: number;
  /** Scores and every metric. */
  metricsMilliseconds: number;
}

/** Result of {@link evaluateVerificationBin}: one {@link VerificationPairsReport} per protocol. */
export interface VerificationBinReport {
  path: string;
  pairs: number;
  issame: boolean[];
  protocols: Partial<Record<VerificationProtocol, VerificationPairsReport>>;
  /** Where the time went (each protocol's report has its own embed and metrics times). */
  timings: VerificationBinTimings;
}

async function resize(image: RawImage, size: number): Promise<RawImage> {
  if (image.width === size && image.height === size) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .removeAlpha()
    .resize(size, size, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: size, height: size, channels: 3 };
}

/**
 * Evaluates a model on an insightface verification `.bin` (LFW, CFP-FP, AgeDB-30, ...) under each
 * protocol: decode the JPEGs, mask per protocol (`masked`: one face of each pair, MFR
 * mask-to-nonmask; `masked-both`), normalise to `(x/255 − 0.5)/0.5`, flip-averaged embeddings, then
 * the insightface 10-fold accuracy and ROC / FNMR@FMR / AUC / EER.
 *
 * @example
 * const { protocols } = await evaluateVerificationBin((x) => backbone.forward(x), 'lfw.bin');
 * console.log(protocols.standard!.insightface.accuracyMean, protocols.masked!.insightface.accuracyMean);
 */
export async function evaluateVerificationBin(
  embed: (images: tf.Tensor4D) => tf.Tensor2D,
  path: string,
  options: EvaluateVerificationBinOptions = {},
): Promise<VerificationBinReport> {
  const { protocols = ['standard', 'masked'], mask, seed = 0, imageSize, ...pairOptions } = options;
  assertArgument(protocols.length > 0, 'EVAL_BAD_PROTOCOL', () => `evaluateVerificationBin: no protocols; choose from ${VERIFICATION_PROTOCOLS.join(', ')}`);
  assertArgument(
    imageSize === undefined || (Number.isInteger(imageSize) && imageSize > 0),
    'EVAL_BAD_IMAGES',
    () => `evaluateVerificationBin: imageSize must be a positive integer, got ${imageSize}`,
  );
  const readBegin = performance.now();
  const { images: encoded, issame } = await readVerificationBin(path);
  const decodeBegin = performance.now();
  const decoded: RawImage[] = [];
  for (const [index, bytes] of encoded.entries()) {
    const image = await decodeImage(bytes, `${path} image ${index}`);
    decoded.push(imageSize === undefined ? image : await resize(image, imageSize));
  }
  const timings: VerificationBinTimings = {
    readMilliseconds: decodeBegin - readBegin,
    decodeMilliseconds: performance.now() - decodeBegin,
    maskMilliseconds: 0,
    embedMilliseconds: 0,
    metricsMilliseconds: 0,
  };
  const result: VerificationBinReport = { path, pairs: issame.length, issame, protocols: {}, timings };
  for (const protocol of protocols) {
    const maskBegin = performance.now();
    const images = rawImagesToTensor(applyVerificationProtocol(decoded, protocol, { mask, seed }));
    timings.maskMilliseconds += performance.now() - maskBegin;
    try {
      const report = evaluateVerificationPairs(embed, { images, issame }, pairOptions);
      timings.embedMilliseconds += report.timings.embedMilliseconds;
      timings.metricsMilliseconds += report.timings.metricsMilliseconds;
      result.protocols[protocol] = report;
    } finally {
      images.dispose();
    }
  }
  return result;
}
