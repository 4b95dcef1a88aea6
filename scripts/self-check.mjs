#!/usr/bin/env node
// `pnpm self-check`: a quick check of the tensor backend (the README main job is `pnpm demo` = `bigface demo`);
// this is the backend self-check: it says which backend runs and trains one IResNet basic block
// (BN -> conv3x3 -> BN -> PReLU -> conv3x3 stride 2 -> BN, plus a 1x1 stride-2 shortcut) for a few
// SGD steps on a fixed random regression target, printing a falling loss.
import { initBackend, tf, Rng } from '@bigface/backend';

const info = await initBackend();
console.log(
  `backend: ${info.name} (${info.package}), threads ${info.threads}, gpu ${info.gpu}` +
    (info.addedKernels.length ? `, BigFace kernels: ${info.addedKernels.join(', ')}` : ''),
);

const rng = new Rng(2021);
const tensor = (shape, std) => {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.fillNormal(new Float32Array(size), 0, std), shape);
};
const batch = 8,
  size = 16,
  channels = 8,
  out = 16;
const x = tensor([batch, size, size, channels], 1);
const target = tensor([batch, size / 2, size / 2, out], 1);
const v = (t, name) => tf.variable(t, true, name);
const params = {
  bn1Gamma: v(tf.ones([channels]), 'bn1.gamma'),
  bn1Beta: v(tf.zeros([channels]), 'bn1.beta'),
  conv1: v(tensor([3, 3, channels, out], Math.sqrt(2 / (9 * channels))), 'conv1'),
  bn2Gamma: v(tf.ones([out]), 'bn2.gamma'),
  bn2Beta: v(tf.zeros([out]), 'bn2.beta'),
  prelu: v(tf.fill([out], 0.25), 'prelu'),
  conv2: v(tensor([3, 3, out, out], Math.sqrt(2 / (9 * out))), 'conv2'),
  bn3Gamma: v(tf.ones([out]), 'bn3.gamma'),
  bn3Beta: v(tf.zeros([out]), 'bn3.beta'),
  down: v(tensor([1, 1, channels, out], Math.sqrt(2 / channels)), 'downsample'),
};
const bn = (h, gamma, beta) => {
  const { mean, variance } = tf.moments(h, [0, 1, 2]);
  return tf.batchNorm(h, mean, variance, beta, gamma, 1e-5);
};
const block = () => {
  let h = bn(x, params.bn1Gamma, params.bn1Beta);
  h = tf.conv2d(h, params.conv1, 1, 'same');
  h = tf.prelu(bn(h, params.bn2Gamma, params.bn2Beta), params.prelu);
  h = bn(tf.conv2d(h, params.conv2, 2, 'same'), params.bn3Gamma, params.bn3Beta);
  const shortcut = tf.conv2d(x, params.down, 2, 'valid');
  return tf.losses.meanSquaredError(target, tf.add(h, shortcut));
};
const optimizer = tf.train.momentum(0.05, 0.9);
const losses = [];
for (let step = 1; step <= 8; step++) {
  const start = performance.now();
  const loss = optimizer.minimize(block, true);
  const value = loss.dataSync()[0];
  loss.dispose();
  losses.push(value);
  console.log(`step ${step}: loss ${value.toFixed(5)} (${(performance.now() - start).toFixed(0)} ms)`);
}
const falling = losses[losses.length - 1] < losses[0];
console.log(falling ? `self-check passed: loss fell from ${losses[0].toFixed(4)} to ${losses.at(-1).toFixed(4)}` : 'self-check FAILED: loss did not fall');
process.exit(falling ? 0 : 1);
