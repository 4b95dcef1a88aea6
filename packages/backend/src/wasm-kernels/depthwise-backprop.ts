import * as tf from '@tensorflow/tfjs-core';
import { sameShape, zerosOutput, type KernelArgs } from './wasm-backend';

type DepthwiseAttrs = {
  strides: [number, number] | number;
  dilations?: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
};

function depthwiseInfo(xShape: number[], filterShape: number[], attrs: DepthwiseAttrs) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/**
 * The filter gradient of a depthwise 2-D convolution (NHWC, channel multiplier M) on wasm, as a
 * loop over the wasm heap: dW[kh,kw,c,m] = Σ_{b,oh,ow} x[b, oh·sH + kh·dH − top, ow·sW + kw·dW − left, c] ·
 * dy[b, oh, ow, c·M + m], accumulated in double precision in the cpu backend's order.
 */
export function depthwiseConv2dNativeBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as DepthwiseAttrs;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const filterShape = attrs.filterShape as [number, number, number, number];
  const info = depthwiseInfo(x.shape, filterShape, attrs);
  if (!sameShape(dy.shape, info.outShape)) {
    throw new Error(`DepthwiseConv2dNativeBackpropFilter (wasm): dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sH, strideWidth: sW } = info;
  const { dilationHeight: dH, dilationWidth: dW } = info;
  const M = outChannels / C;
  const out = zerosOutput(backend, [KH, KW, C, M]);
  if (tf.util.sizeFromShape(x.shape) === 0 || tf.util.sizeFromShape(dy.shape) === 0) return out;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const CM = C * M;
  const acc = new Float64Array(KH * KW * CM);
  const outValues = backend.typedArrayFromHeap(out) as Float32Array;
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const dyBase = ((b * OH + oh) * OW + ow) * CM;
        for (let kh = 0; kh < KH; kh++) {
          const r = oh * sH + kh * dH - top;
          if (r < 0 || r >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const c = ow * sW + kw * dW - left;
            if (c < 0 || c >= W) continue;
            const xBase = ((b * H + r) * W + c) * C;
            const wBase = (kh * KW + kw) * CM;
            if (M === 1) {
              for (let d = 0; d < C; d++) acc[wBase + d]! += xv[xBase + d]! * dyv[dyBase + d]!;
            } else {
              for (let d1 = 0; d1 < C; d1++) {
                const xValue = xv[xBase + d1]!;
                const o = d1 * M;
                for (let m = 0; m < M; m++) acc[wBase + o + m]! += xValue * dyv[dyBase + o + m]!;
              }
            }
          }
        }
      }
    }
  }
  outValues.set(acc);
  return out;
}

/**
 * The input gradient of a depthwise 2-D convolution (NHWC, channel multiplier M) on wasm, as a loop
 * over the wasm heap: each dy pixel is scattered through the filter taps into a double-precision
 * image buffer, one batch image at a time.
 */
export function depthwiseConv2dNativeBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as DepthwiseAttrs;
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const inputShape = attrs.inputShape as [number, number, number, number];
  const info = depthwiseInfo(inputShape, filter.shape, attrs);
  if (!sameShape(dy.shape, info.outShape)) {
    throw new Error(`DepthwiseConv2dNativeBackpropInput (wasm): dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sH, strideWidth: sW } = info;
  const { dilationHeight: dH, dilationWidth: dW } = info;
  const M = outChannels / C;
  const out = zerosOutput(backend, info.inShape);
  if (tf.util.sizeFromShape(info.inShape) === 0 || tf.util.sizeFromShape(dy.shape) === 0) return out;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const CM = C * M;
  const image = H * W * C;
  const acc = new Float64Array(image);
  const outValues = backend.typedArrayFromHeap(out) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  const wv = backend.typedArrayFromHeap(filter) as Float32Array;
  for (let b = 0; b < batchSize; b++) {
    acc.fill(0);
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const dyBase = ((b * OH + oh) * OW + ow) * CM;
        for (let kh = 0; kh < KH; kh++) {
          const r = oh * sH + kh * dH - top;
          if (r < 0 || r >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const c = ow * sW + kw * dW - left;
            if (c < 0 || c >= W) continue;
            const xBase = (r * W + c) * C;
            const wBase = (kh * KW + kw) * CM;
            if (M === 1) {
              for (let d = 0; d < C; d++) acc[xBase + d]! += dyv[dyBase + d]! * wv[wBase + d]!;
            } else {
              for (let d1 = 0; d1 < C; d1++) {
                const o = d1 * M;
                let sum = 0;
                for (let m = 0; m < M; m++) sum += dyv[dyBase + o + m]! * wv[wBase + o + m]!;
                acc[xBase + d1]! += sum;
              }
            }
          }
        }
      }
    }
    outValues.set(acc, b * image);
  }
  return out;
}
