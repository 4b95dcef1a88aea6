#!/usr/bin/env node
// Milliseconds per LARSOptimizer.applyGradients step over the parameters of an IResNet-50 (insightface
// layout, 112×112 input, 512-d embedding: ~43.6M parameters in ~220 tensors, rank ≤ 1 ones excluded
// as by default), on the cpu and wasm backends. One JSON object per line. Warmed up before timing.
// Environment: BENCH_MIN_MS (time per measurement, default 3000), BENCH_BACKENDS (default "cpu,wasm").
import { initBackend, tf } from '@bigface/backend';
import { LARSOptimizer } from '@bigface/lars';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 3000);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'cpu,wasm').split(',');

/** Parameter shapes of insightface's iresnet50 (NHWC conv kernels [k, k, in, out]). */
function iresnet50Shapes() {
  const shapes = [];
  const batchNorm = (c) => shapes.push([c], [c]);
  shapes.push([3, 3, 3, 64]);
  batchNorm(64);
  shapes.push([64]); // PReLU
  let inplanes = 64;
  const layers = [3, 4, 14, 3];
  const widths = [64, 128, 256, 512];
  layers.forEach((blocks, stage) => {
    const planes = widths[stage];
    for (let b = 0; b < blocks; b++) {
      batchNorm(inplanes);
      shapes.push([3, 3, inplanes, planes]);
      batchNorm(planes);
      shapes.push([planes]); // PReLU
      shapes.push([3, 3, planes, planes]);
      batchNorm(planes);
      if (b === 0) {
        shapes.push([1, 1, inplanes, planes]); // downsample
        batchNorm(planes);
      }
      inplanes = planes;
    }
  });
  batchNorm(512);
  shapes.push([512 * 7 * 7, 512], [512]); // fc
  batchNorm(512); // features
  return shapes;
}

const shapes = iresnet50Shapes();
const parameters = shapes.reduce((sum, s) => sum + s.reduce((a, b) => a * b, 1), 0);

for (const backend of BACKENDS) {
  await initBackend({ backend });
  const variables = shapes.map((shape, i) => tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 0.05, 'float32', i), true, `r50-${backend}-${i}`)));
  const gradients = shapes.map((shape, i) => ({ name: variables[i].name, tensor: tf.randomNormal(shape, 0, 0.01, 'float32', 1000 + i) }));
  const optimizer = new LARSOptimizer({ learningRate: 0.1 });
  const once = () => {
    optimizer.applyGradients(gradients);
    variables[variables.length - 3].dataSync(); // wait for the step (fc weight is the last big one)
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
  }
  console.log(
    JSON.stringify({
      bench: 'lars-step',
      model: 'iresnet50',
      backend,
      parameters,
      tensors: shapes.length,
      excluded: shapes.filter((s) => s.length <= 1).length,
      msPerStep: Number((elapsed / reps).toFixed(1)),
      reps,
    }),
  );
  optimizer.dispose();
  tf.dispose([...variables, ...gradients.map((g) => g.tensor)]);
}
