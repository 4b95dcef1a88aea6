import * as tf from '@tensorflow/tfjs-core';
import { disposeIntermediates, runWasmKernel, sameShape, zerosOutput, type KernelArgs, type WasmBackend } from './wasm-backend';

type Conv2DBackpropInputAttrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
};

/** How one output phase along one spatial axis maps onto a stride-1 convolution of dy. */
interface AxisPhase {
  /** Filter taps of this phase: kernel index k = phase + (taps - 1 - j) · stride for conv tap j. */
  taps: number;
  phase: number;
  /** The first dx index of this phase and how many there are (every `stride`-th). */
  first: number;
  count: number;
  /** Padding of the stride-1 convolution (never negative) and the conv row of the first wanted one. */
  padBefore: number;
  padAfter: number;
  skip: number;
  /** Length of the stride-1 convolution's output along this axis. */
  convSize: number;
}

/**
 * Splits one spatial axis of a strided transposed convolution into `stride` stride-1 ones.
 * dx[r] = Σ_k dy[o]·W[k] over o·s + k = r + padTop. With r + padTop = q·s + phase, the taps
 * k = phase + m·s meet dy[q − m]: for each phase a stride-1 correlation of dy with the
 * reversed sub-filter, read at q = q0 ... q0 + count − 1.
 */
function axisPhases(inSize: number, outSize: number, kernel: number, stride: number, padTop: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let phase = 0; phase < stride; phase++) {
    const taps = Math.max(0, Math.ceil((kernel - phase) / stride));
    const q0 = Math.ceil((padTop - phase) / stride);
    const q1 = Math.floor((inSize - 1 + padTop - phase) / stride);
    const count = Math.max(0, q1 - q0 + 1);
    const first = q0 * stride + phase - padTop;
    // conv output i reads dy[i − before + j], j = 0..taps−1; we want i = q − q0 to read dy[q − (taps − 1) + j].
    const before = taps - 1 - q0;
    const padBefore = Math.max(0, before);
    const skip = padBefore - before;
    const rowsNeeded = skip + count;
    const padAfter = Math.max(0, rowsNeeded + taps - 1 - outSize - padBefore);
    const convSize = outSize + padBefore + padAfter - taps + 1;
    phases.push({ taps, phase, first, count, padBefore, padAfter, skip, convSize });
  }
  return phases;
}

/**
 * `Conv2DBackpropInput` (the input gradient of conv2d) on wasm through XNNPACK convolutions. The
 * stock wasm kernel is a plain loop (~2.5 GFLOP/s); here a stride-s transposed convolution is
 * split by output phase into s_h·s_w stride-1 convolutions of dy with reversed sub-filters (each
 * on wasm's own Conv2D), whose outputs interleave into dx. NCHW and non-float32 inputs go to the
 * stock kernel.
 */
export function makeConv2DBackpropInput(stock: tf.KernelConfig): (args: KernelArgs) => tf.TensorInfo {
  return function conv2DBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const dy = inputs.dy as tf.TensorInfo;
    const filter = inputs.filter as tf.TensorInfo;
    const dataFormat = attrs.dataFormat ?? 'NHWC';
    if (dataFormat !== 'NHWC' || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
      return stock.kernelFunc(args as never) as tf.TensorInfo;
    }
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    if (!sameShape(dy.shape, info.outShape)) {
      throw new Error(
        `Conv2DBackpropInput (wasm): dy has shape [${dy.shape}] but a conv2d of [${attrs.inputShape}] ` +
          `with a [${filter.shape}] filter gives [${info.outShape}]`,
      );
    }
    const { inHeight: H, inWidth: W } = info;
    const { outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW, strideHeight: sH, strideWidth: sW } = info;
    if (tf.util.sizeFromShape(info.inShape) === 0 || tf.util.sizeFromShape(dy.shape) === 0) {
      return zerosOutput(backend, info.inShape);
    }
    const rows = axisPhases(H, OH, KH, sH, info.padInfo.top);
    const cols = axisPhases(W, OW, KW, sW, info.padInfo.left);

    // Stride 1 whose single convolution is exactly dx: return it directly.
    const row0 = rows[0] as AxisPhase;
    const col0 = cols[0] as AxisPhase;
    if (rows.length === 1 && cols.length === 1 && row0.skip === 0 && col0.skip === 0 && row0.convSize === H && col0.convSize === W) {
      const direct = phaseConv(backend, dy, filter, info, row0, col0);
      if (direct !== null) return direct;
    }

    const out = backend.makeOutput(info.inShape, 'float32');
    let covered = 0;
    for (const r of rows) for (const c of cols) if (r.taps > 0 && c.taps > 0) covered += r.count * c.count;
    if (covered < H * W) (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
    try {
      scatterPhases(backend, dy, filter, info, rows, cols, out);
    } catch (error) {
      backend.disposeData(out.dataId);
      throw error;
    }
    return out;
  };
}

/** Runs every phase's convolution and interleaves its rows and columns into `out` (dx). */
function scatterPhases(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  rows: AxisPhase[],
  cols: AxisPhase[],
  out: tf.TensorInfo,
): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, strideHeight: sH, strideWidth: sW } = info;
  for (const r of rows) {
    for (const c of cols) {
      if (r.count === 0 || c.count === 0 || r.taps === 0 || c.taps === 0) continue;
      const part = phaseConv(backend, dy, filter, info, r, c);
      if (part === null) continue;
      try {
        // Views after the convolution: its allocations may have grown (and detached) the heap.
        const dx = backend.typedArrayFromHeap(out) as Float32Array;
        const src = backend.typedArrayFromHeap(part) as Float32Array;
        const partH = part.shape[1] as number;
        const partW = part.shape[2] as number;
        for (let b = 0; b < B; b++) {
          for (let i = 0; i < r.count; i++) {
            const x = r.first + i * sH;
            let from = ((b * partH + i + r.skip) * partW + c.skip) * Ci;
            let to = ((b * H + x) * W + c.first) * Ci;
            const step = sW * Ci;
            for (let j = 0; j < c.count; j++, from += Ci, to += step) {
              dx.set(src.subarray(from, from + Ci), to);
            }
          }
        }
      } finally {
        backend.disposeData(part.dataId);
      }
    }
  }
}

/** One phase: conv2d(dy, reversed sub-filter [taps_h, taps_w, Co, Ci]), stride 1. */
function phaseConv(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  r: AxisPhase,
  c: AxisPhase,
): tf.TensorInfo | null {
  if (r.taps === 0 || c.taps === 0) return null;
  const { inChannels: Ci, outChannels: Co, filterWidth: KW, strideHeight: sH, strideWidth: sW } = info;
  const sub = backend.makeOutput([r.taps, c.taps, Co, Ci], 'float32');
  try {
    const target = backend.typedArrayFromHeap(sub) as Float32Array;
    const w = backend.typedArrayFromHeap(filter) as Float32Array; // [KH, KW, Ci, Co]
    let to = 0;
    for (let jh = 0; jh < r.taps; jh++) {
      const kh = r.phase + (r.taps - 1 - jh) * sH;
      for (let jw = 0; jw < c.taps; jw++) {
        const kw = c.phase + (c.taps - 1 - jw) * sW;
        const base = (kh * KW + kw) * Ci * Co;
        // [Ci, Co] -> [Co, Ci]
        for (let co = 0; co < Co; co++) {
          for (let ci = 0; ci < Ci; ci++) target[to++] = w[base + ci * Co + co] as number;
        }
      }
    }
    return runWasmKernel(
      'Conv2D',
      backend,
      { x: dy, filter: sub },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [r.padBefore, r.padAfter],
          [c.padBefore, c.padAfter],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [1, 1],
      },
    );
  } finally {
    disposeIntermediates(backend, sub);
  }
}
