#!/usr/bin/env node
// GFLOP/s of the convolution kernels of an IResNet training step: @bigface/native-cpu's oneDNN
// kernels on the cpu backend (forward, input gradient, filter gradient), OpenBLAS im2col + sgemm
// forward (the alternative we measured against oneDNN), wasm (stock forward/input gradient,
// BigFace's filter gradient), and tfjs's JS cpu kernels on the smallest layer. One JSON line each.
// Environment: BENCH_MIN_MS (time per measurement, default 1000).
import { execSync } from 'node:child_process';
import { initBackend, tf, Rng } from '@bigface/backend';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 1000);
const rng = new Rng(7);
const load = execSync('uptime')
  .toString()
  .trim()
  .replace(/.*load average: /, '');
let native;
try {
  native = await import('@bigface/native-cpu');
} catch {
  native = undefined;
}
const addon = native?.nativeAddon();

const LAYERS = [
  { name: 'stem-112x112x3-3x3-to-64', batch: 8, size: 112, inC: 3, outC: 64, k: 3, stride: 1, pad: 1, js: false },
  { name: '56x56x64-3x3-s1', batch: 8, size: 56, inC: 64, outC: 64, k: 3, stride: 1, pad: 1, js: false },
  { name: '28x28x128-3x3-s1', batch: 8, size: 28, inC: 128, outC: 128, k: 3, stride: 1, pad: 1, js: false },
  { name: '14x14x256-3x3-s2-to-512', batch: 8, size: 14, inC: 256, outC: 512, k: 3, stride: 2, pad: 1, js: false },
  { name: '28x28x128-1x1-s2-shortcut-to-256', batch: 8, size: 28, inC: 128, outC: 256, k: 1, stride: 2, pad: 'valid', js: false },
  { name: 'small-14x14x32-3x3-s1', batch: 1, size: 14, inC: 32, outC: 32, k: 3, stride: 1, pad: 1, js: true },
];

function tensorOf(shape) {
  return tf.tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape);
}

function time(once) {
  once();
  let reps = 0;
  const start = performance.now();
  let elapsed = 0;
  while (reps < 2 || elapsed < MIN_MS) {
    once();
    reps++;
    elapsed = performance.now() - start;
  }
  return { ms: elapsed / reps, reps };
}

const timeKernel = (run) =>
  time(() => {
    const out = run();
    out.dataSync();
    out.dispose();
  });

const configs = [
  { label: 'native', backend: 'cpu', native: true },
  { label: 'wasm', backend: 'wasm', native: false },
  { label: 'js-cpu', backend: 'cpu', native: false },
];
for (const config of configs) {
  const info = await initBackend({ backend: config.backend, native: config.native });
  if (config.native && info.nativeKernels.length === 0) {
    console.log(JSON.stringify({ bench: 'native-conv', backend: 'native', skipped: 'addon not built or @bigface/native-cpu missing' }));
    continue;
  }
  for (const layer of LAYERS) {
    if (config.label === 'js-cpu' && !layer.js) continue;
    const { batch, size, inC, outC, k, stride, pad } = layer;
    const xShape = [batch, size, size, inC];
    const filterShape = [k, k, inC, outC];
    const conv = tf.backend_util.computeConv2DInfo(xShape, filterShape, stride, 1, pad);
    const flops = 2 * batch * conv.outHeight * conv.outWidth * k * k * inC * outC;
    const x = tensorOf(xShape);
    const filter = tensorOf(filterShape);
    const dy = tensorOf(conv.outShape);
    const attrs = { strides: stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const kernels = {
      Conv2D: () => timeKernel(() => tf.engine().runKernel('Conv2D', { x, filter }, { ...attrs, dilations: 1 })),
      Conv2DBackpropInput: () => timeKernel(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: xShape })),
      Conv2DBackpropFilter: () => timeKernel(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape })),
    };
    if (config.label === 'native' && addon) {
      // The OpenBLAS alternative, same data: im2col (OpenMP) + cblas_sgemm.
      const p = conv.padInfo;
      const geometry = [batch, size, size, inC, k, k, outC, conv.outHeight, conv.outWidth, stride, stride, 1, 1, p.top, p.left, p.bottom, p.right];
      const xv = x.dataSync();
      const fv = filter.dataSync();
      const y = new Float32Array(conv.outShape.reduce((a, b) => a * b, 1));
      kernels['Conv2D-openblas-im2col'] = () => time(() => addon.conv2dForwardIm2col(xv, fv, y, geometry));
      // Both filter-gradient paths on the same data (the kernel picks the primitive for stride 1, im2col + sgemm otherwise).
      const dyv = dy.dataSync();
      const dw = new Float32Array(filterShape.reduce((a, b) => a * b, 1));
      kernels['Conv2DBackpropFilter-onednn-primitive'] = () => time(() => addon.conv2dBackwardWeights(xv, dyv, dw, geometry));
      kernels['Conv2DBackpropFilter-im2col-sgemm'] = () => time(() => addon.conv2dBackwardWeightsGemm(xv, dyv, dw, geometry));
    }
    for (const [kernel, run] of Object.entries(kernels)) {
      const { ms, reps } = run();
      const provider =
        config.label === 'native'
          ? kernel.includes('openblas')
            ? 'openblas'
            : kernel === 'Conv2DBackpropFilter-im2col-sgemm' || (kernel === 'Conv2DBackpropFilter' && stride !== 1)
              ? 'im2col+onednn-sgemm'
              : 'onednn'
          : config.label === 'wasm'
            ? info.addedKernels.includes(kernel)
              ? 'bigface-wasm'
              : 'tfjs-wasm'
            : 'tfjs-js';
      console.log(
        JSON.stringify({
          bench: 'native-conv',
          backend: config.label,
          kernel,
          provider,
          layer: layer.name,
          x: xShape,
          filter: filterShape,
          stride,
          pad,
          gflop: +(flops / 1e9).toFixed(4),
          ms: +ms.toFixed(3),
          reps,
          gflops: +(flops / ms / 1e6).toFixed(2),
          threads: info.threads,
          load,
        }),
      );
    }
    tf.dispose([x, filter, dy]);
  }
}
