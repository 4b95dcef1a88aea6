// The .bin protocol pipeline end to end: evaluateVerificationBin on the reference tiny.bin (its pairs
// of 112×112 JPEGs) — read + decode, mask-synth masks per protocol, flip-averaged embeddings with a tiny
// @bigface/resnet-zoo IResNet, then the metrics — under the standard, masked and masked-both protocols.
// Prints the median over repeated runs of the whole call and of each stage.
import { loadavg } from 'node:os';
import { initBackend } from '@bigface/backend';
import { evaluateVerificationBin } from '@bigface/eval';
import { IResNet } from '@bigface/resnet-zoo';
import { referenceFile } from '../../../test-support/reference-dir.mjs';

const backend = process.env.BIGFACE_BACKEND ?? 'wasm';
await initBackend({ backend });
const path = referenceFile('tiny.bin');
const architecture = { layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64, inputSize: 112 };
const model = IResNet.create(architecture, { seed: 0 });
const embed = (images) => model.forward(images, { training: false });
const protocols = ['standard', 'masked', 'masked-both'];
const runs = 5;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const samples = [];
await evaluateVerificationBin(embed, path, { protocols, folds: 2, batchSize: 8 }); // warm-up (first-call kernels, sharp)
for (let run = 0; run < runs; run += 1) {
  const begin = performance.now();
  const report = await evaluateVerificationBin(embed, path, { protocols, folds: 2, batchSize: 8, seed: run });
  samples.push({ total: performance.now() - begin, ...report.timings, pairs: report.pairs });
}
const pairs = samples[0].pairs;
const total = median(samples.map((s) => s.total));
const stage = (name) => Number(median(samples.map((s) => s[name])).toFixed(1));
console.log(
  JSON.stringify({
    bench: 'evaluate-verification-bin',
    file: 'tiny.bin',
    backend,
    model: `IResNet [1,1,1,1] widths 16-128, 64-d, 112x112`,
    pairs,
    protocols: protocols.length,
    runs,
    msPerCall: Number(total.toFixed(1)),
    pairsPerSecond: Number(((pairs * protocols.length) / (total / 1000)).toFixed(1)),
    msPerStage: {
      read: stage('readMilliseconds'),
      decode: stage('decodeMilliseconds'),
      mask: stage('maskMilliseconds'),
      embed: stage('embedMilliseconds'),
      metrics: stage('metricsMilliseconds'),
    },
    load1: Number(loadavg()[0].toFixed(2)),
  }),
);
model.dispose();
