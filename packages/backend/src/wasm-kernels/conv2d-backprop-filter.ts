import * as tf from '@tensorflow/tfjs-core';
import { disposeIntermediates, runWasmKernel, sameShape, transposeInfo, zerosOutput, type KernelArgs, type WasmBackend } from './wasm-backend';

type Conv2DBackpropFilterAttrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
};

/**
 * The weight gradient of a 2-D convolution on wasm, computed by wasm's own (XNNPACK) Conv2D.
 *
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} xPad[b, oh·sH + kh, ow·sW + kw, ci] · dy[b, oh, ow, co]
 *
 * is itself a convolution: take x transposed to [Ci, H, W, B] as the input (batch and channels
 * swapped) and dy transposed to [OH, OW, B, Co] as the filter, with stride 1, dilation = the
 * original stride and the original top/left padding. Its output is [Ci, KH, KW, Co]; one more
 * transpose gives [KH, KW, Ci, Co]. 1x1 filters (NHWC) take one matmul instead; negative explicit
 * padding (which tfjs's ops never produce) a plain loop. NCHW is supported.
 */
export function conv2DBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  return conv2DBackpropFilterChunked(args, MAX_CHUNK_ELEMENTS);
}

/**
 * Largest x or dy (in elements) one pass handles. The convolution copies dy twice more (transposed,
 * then packed by XNNPACK) and x once, and the wasm heap ends at 4 GB: bigger batches are split
 * and their filter gradients summed.
 */
const MAX_CHUNK_ELEMENTS = 1 << 24;

/** {@link conv2DBackpropFilterWasm} with a chosen chunk size (exported for tests). */
export function conv2DBackpropFilterChunked(args: KernelArgs, maxChunkElements: number): tf.TensorInfo {
  const { inputs, backend } = args;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const batch = x.shape[0] as number;
  const perSample = Math.max(tf.util.sizeFromShape(x.shape.slice(1)), tf.util.sizeFromShape(dy.shape.slice(1)));
  const chunk = Math.max(1, Math.floor(maxChunkElements / Math.max(1, perSample)));
  if (batch <= chunk || dy.shape[0] !== batch) return conv2DBackpropFilterOnce(args);
  let total: tf.TensorInfo | undefined;
  try {
    for (let start = 0; start < batch; start += chunk) {
      const count = Math.min(chunk, batch - start);
      const xPart = batchSlice(backend, x, start, count);
      const dyPart = batchSlice(backend, dy, start, count);
      let part: tf.TensorInfo;
      try {
        part = conv2DBackpropFilterOnce({ ...args, inputs: { x: xPart, dy: dyPart } });
      } finally {
        disposeIntermediates(backend, xPart, dyPart);
      }
      if (total === undefined) {
        total = part;
      } else {
        const sum = backend.typedArrayFromHeap(total) as Float32Array;
        const add = backend.typedArrayFromHeap(part) as Float32Array;
        for (let i = 0; i < sum.length; i++) sum[i]! += add[i] as number;
        backend.disposeData(part.dataId);
      }
    }
  } catch (error) {
    disposeIntermediates(backend, total);
    throw error;
  }
  return total as tf.TensorInfo;
}

/** Samples [start, start + count) of a float32 tensor (a contiguous copy on the wasm heap). */
function batchSlice(backend: WasmBackend, info: tf.TensorInfo, start: number, count: number): tf.TensorInfo {
  const perSample = tf.util.sizeFromShape(info.shape.slice(1));
  const out = backend.makeOutput([count, ...info.shape.slice(1)], 'float32');
  const source = backend.typedArrayFromHeap(info) as Float32Array;
  (backend.typedArrayFromHeap(out) as Float32Array).set(source.subarray(start * perSample, (start + count) * perSample));
  return out;
}

function conv2DBackpropFilterOnce(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const dataFormat = attrs.dataFormat ?? 'NHWC';
  const convInfo = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  const channelsLast = convInfo.dataFormat === 'channelsLast';
  if (!sameShape(dy.shape, convInfo.outShape)) {
    throw new Error(
      `Conv2DBackpropFilter (wasm): dy has shape [${dy.shape}] but the convolution of x [${x.shape}] ` +
        `with a [${attrs.filterShape}] filter gives [${convInfo.outShape}]`,
    );
  }
  const { inHeight, inWidth, inChannels, outChannels, outHeight, outWidth } = convInfo;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = convInfo;
  const filterShape = [filterHeight, filterWidth, inChannels, outChannels];
  if (tf.util.sizeFromShape(x.shape) === 0 || tf.util.sizeFromShape(dy.shape) === 0) {
    return zerosOutput(backend, filterShape);
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter (wasm): x and dy must be float32, got ${x.dtype} and ${dy.dtype}`);
  }
  const top = convInfo.padInfo.top;
  const left = convInfo.padInfo.left;
  // Padding that makes the dilated conv produce exactly KH x KW outputs. It is negative when the
  // last rows/columns of x are never read (valid padding, strides > 1): then pad 0 and crop.
  const bottom = filterHeight + strideHeight * (outHeight - 1) - inHeight - top;
  const right = filterWidth + strideWidth * (outWidth - 1) - inWidth - left;

  if (top < 0 || left < 0) {
    return conv2DBackpropFilterLoop(backend, x, dy, convInfo);
  }
  if (filterHeight === 1 && filterWidth === 1 && channelsLast) {
    return conv2DBackpropFilter1x1(backend, x, dy, convInfo);
  }

  const intermediates: tf.TensorInfo[] = [];
  try {
    const xT = transposeInfo(backend, x, channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0]); // [Ci, H, W, B]
    intermediates.push(xT);
    const dyT = transposeInfo(backend, dy, channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1]); // [OH, OW, B, Co]
    intermediates.push(dyT);
    let grad = runWasmKernel(
      'Conv2D',
      backend,
      { x: xT, filter: dyT },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, Math.max(0, bottom)],
          [left, Math.max(0, right)],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [strideHeight, strideWidth],
      },
    ); // [Ci, KH (+ extra), KW (+ extra), Co]
    intermediates.push(grad);
    if (grad.shape[1] !== filterHeight || grad.shape[2] !== filterWidth) {
      grad = runWasmKernel('Slice', backend, { x: grad }, { begin: [0, 0, 0, 0], size: [inChannels, filterHeight, filterWidth, outChannels] });
      intermediates.push(grad);
    }
    // Batch 1 or Ci 1 make some of these transposes no-ops; the wasm Transpose then returns the
    // same data with its reference count raised, so disposing the intermediates stays correct.
    return transposeInfo(backend, grad, [1, 2, 0, 3]);
  } finally {
    disposeIntermediates(backend, ...intermediates);
  }
}

/**
 * 1x1 filters (the IResNet shortcut): dW[0,0] = xs^T · dy, where xs [B·OH·OW, Ci] holds the input
 * pixels the strided 1x1 convolution reads (x itself for stride 1 without padding). One small
 * transpose and one wasm BatchMatMul without transpose flags (those are slow on wasm).
 */
function conv2DBackpropFilter1x1(backend: WasmBackend, x: tf.TensorInfo, dy: tf.TensorInfo, convInfo: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth } = convInfo;
  const { strideHeight, strideWidth } = convInfo;
  const top = convInfo.padInfo.top;
  const left = convInfo.padInfo.left;
  const rows = batchSize * outHeight * outWidth;
  const intermediates: tf.TensorInfo[] = [];
  try {
    let xs: tf.TensorInfo;
    if (strideHeight === 1 && strideWidth === 1 && top === 0 && left === 0 && outHeight === inHeight && outWidth === inWidth) {
      xs = { dataId: x.dataId, shape: [rows, inChannels], dtype: 'float32' };
    } else {
      xs = backend.makeOutput([rows, inChannels], 'float32');
      intermediates.push(xs);
      const target = backend.typedArrayFromHeap(xs) as Float32Array;
      const source = backend.typedArrayFromHeap(x) as Float32Array;
      let offset = 0;
      for (let b = 0; b < batchSize; b++) {
        for (let oh = 0; oh < outHeight; oh++) {
          const r = oh * strideHeight - top;
          for (let ow = 0; ow < outWidth; ow++, offset += inChannels) {
            const c = ow * strideWidth - left;
            if (r < 0 || r >= inHeight || c < 0 || c >= inWidth) {
              target.fill(0, offset, offset + inChannels);
            } else {
              const from = ((b * inHeight + r) * inWidth + c) * inChannels;
              target.set(source.subarray(from, from + inChannels), offset);
            }
          }
        }
      }
    }
    const xsT = transposeInfo(backend, xs, [1, 0]); // [Ci, rows]
    intermediates.push(xsT);
    // wasm's BatchMatMul caches an XNNPACK operator (with b packed) keyed by b's id alone, not its
    // shape, until b is disposed: so b must be a private copy that is freed right after, never dy.
    const dyCopy = backend.makeOutput([rows, outChannels], 'float32');
    intermediates.push(dyCopy);
    (backend.typedArrayFromHeap(dyCopy) as Float32Array).set(backend.typedArrayFromHeap(dy) as Float32Array);
    const product = runWasmKernel('BatchMatMul', backend, { a: xsT, b: dyCopy }, { transposeA: false, transposeB: false });
    return { dataId: product.dataId, shape: [1, 1, inChannels, outChannels], dtype: 'float32' };
  } finally {
    disposeIntermediates(backend, ...intermediates);
  }
}

/** Plain-loop fallback (negative explicit padding, never produced by tfjs's own ops). */
function conv2DBackpropFilterLoop(backend: WasmBackend, x: tf.TensorInfo, dy: tf.TensorInfo, convInfo: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth } = convInfo;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = convInfo;
  const channelsLast = convInfo.dataFormat === 'channelsLast';
  const top = convInfo.padInfo.top;
  const left = convInfo.padInfo.left;
  const out = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  const dW = backend.typedArrayFromHeap(out) as Float32Array;
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  const xAt = channelsLast
    ? (b: number, r: number, c: number, d: number) => xv[((b * inHeight + r) * inWidth + c) * inChannels + d] as number
    : (b: number, r: number, c: number, d: number) => xv[((b * inChannels + d) * inHeight + r) * inWidth + c] as number;
  const dyAt = channelsLast
    ? (b: number, r: number, c: number, d: number) => dyv[((b * outHeight + r) * outWidth + c) * outChannels + d] as number
    : (b: number, r: number, c: number, d: number) => dyv[((b * outChannels + d) * outHeight + r) * outWidth + c] as number;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      for (let ci = 0; ci < inChannels; ci++) {
        for (let co = 0; co < outChannels; co++) {
          let sum = 0;
          for (let b = 0; b < batchSize; b++) {
            for (let oh = 0; oh < outHeight; oh++) {
              const r = oh * strideHeight + kh - top;
              if (r < 0 || r >= inHeight) continue;
              for (let ow = 0; ow < outWidth; ow++) {
                const c = ow * strideWidth + kw - left;
                if (c < 0 || c >= inWidth) continue;
                sum += xAt(b, r, c, ci) * dyAt(b, oh, ow, co);
              }
            }
          }
          dW[((kh * filterWidth + kw) * inChannels + ci) * outChannels + co] = sum;
        }
      }
    }
  }
  return out;
}
