#!/usr/bin/env node
// GFLOP/s of the three convolution kernels of a training step on wasm — Conv2D (forward, stock
// XNNPACK), Conv2DBackpropInput (stock) and Conv2DBackpropFilter (BigFace's, from
// src/wasm-kernels) — for IResNet-like layers, and of the pure-JS cpu backend on a small layer for
// comparison. One JSON object per line. Each kernel is warmed up before it is timed.
// Environment: BENCH_MIN_MS (time per measurement, default 1500).
import { initBackend, tf, Rng } from '@bigface/backend';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 1500);
const rng = new Rng(7);

const LAYERS = [
  // name, batch, H, W, Ci, Co, K, stride, pad, backends
  { name: 'iresnet-28x28x128-3x3-s1', batch: 8, size: 28, inC: 128, outC: 128, k: 3, stride: 1, pad: 'same', backends: ['wasm'] },
  { name: 'iresnet-28x28x128-3x3-s2', batch: 8, size: 28, inC: 128, outC: 128, k: 3, stride: 2, pad: 'same', backends: ['wasm'] },
  { name: 'iresnet-56x56x64-3x3-s2-to-128', batch: 8, size: 56, inC: 64, outC: 128, k: 3, stride: 2, pad: 'same', backends: ['wasm'] },
  { name: 'iresnet-28x28x128-1x1-s2-shortcut', batch: 8, size: 28, inC: 128, outC: 256, k: 1, stride: 2, pad: 'valid', backends: ['wasm'] },
  { name: 'small-14x14x32-3x3-s1', batch: 1, size: 14, inC: 32, outC: 32, k: 3, stride: 1, pad: 'same', backends: ['wasm', 'cpu'] },
];

function tensorOf(shape) {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.fillNormal(new Float32Array(size)), shape);
}

/** Runs `run` (returns a tensor) repeatedly: warm-up, then at least MIN_MS of timed calls. */
function time(run) {
  const once = () => {
    const out = run();
    out.dataSync(); // wasm and cpu run synchronously; this also checks the result is readable
    out.dispose();
  };
  once();
  once();
  let reps = 0;
  const start = performance.now();
  let elapsed = 0;
  while (reps < 3 || elapsed < MIN_MS) {
    once();
    reps++;
    elapsed = performance.now() - start;
    if (reps >= 1 && elapsed > 20 * MIN_MS) break;
  }
  return { ms: elapsed / reps, reps };
}

for (const backend of ['wasm', 'cpu']) {
  const info = await initBackend({ backend });
  for (const layer of LAYERS.filter((l) => l.backends.includes(backend))) {
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
      Conv2D: () => tf.engine().runKernel('Conv2D', { x, filter }, { ...attrs, dilations: 1 }),
      Conv2DBackpropInput: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: xShape }),
      Conv2DBackpropFilter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape }),
    };
    for (const [kernel, run] of Object.entries(kernels)) {
      const provider = info.addedKernels.includes(kernel) ? 'bigface' : 'tfjs';
      const { ms, reps } = time(run);
      console.log(
        JSON.stringify({
          bench: 'wasm-kernels',
          backend,
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
          gflops: +(flops / ms / 1e6).toFixed(3),
        }),
      );
    }
    tf.dispose([x, filter, dy]);
  }
}
