// Metric costs at realistic sizes: insightface 10-fold protocol on 6000 pairs of 512-d embeddings
// (LFW-sized), and ROC / FNMR@FMR / AUC / EER on 1M + 10k cosine scores (an IJB-C-sized impostor set).
import { Rng } from '@bigface/backend';
import { areaUnderRoc, equalErrorRate, falseNonMatchRateAtFalseMatchRate, insightfaceVerification } from '@bigface/eval';

const rng = new Rng(0);
const time = (f) => {
  const begin = performance.now();
  const result = f();
  return [result, Math.round(performance.now() - begin)];
};

const pairs = 6000;
const size = 512;
const issame = Array.from({ length: pairs }, (_, i) => Math.floor(i / 300) % 2 === 0);
const rows = [];
for (let pair = 0; pair < pairs; pair += 1) {
  const a = Float64Array.from({ length: size }, () => rng.normal());
  const b = a.map((v) => (issame[pair] ? 0.1 * v : 0) + rng.normal());
  for (const row of [a, b]) {
    const norm = Math.hypot(...row);
    rows.push(row.map((v) => v / norm));
  }
}
const [verification, verificationMs] = time(() => insightfaceVerification(rows, issame));
console.log(
  JSON.stringify({
    bench: 'insightface-verification',
    pairs,
    embeddingSize: size,
    folds: 10,
    thresholds: 400,
    ms: verificationMs,
    accuracyMean: Number(verification.accuracyMean.toFixed(4)),
  }),
);

const genuine = 10_000;
const impostor = 1_000_000;
const scores = new Float64Array(genuine + impostor);
const labels = new Array(genuine + impostor);
for (let i = 0; i < scores.length; i += 1) {
  labels[i] = i < genuine;
  scores[i] = i < genuine ? rng.normal(0.6, 0.15) : rng.normal(0, 0.1);
}
const [points, fnmrMs] = time(() => falseNonMatchRateAtFalseMatchRate(scores, labels));
const [, aucMs] = time(() => areaUnderRoc(scores, labels));
const [, eerMs] = time(() => equalErrorRate(scores, labels));
console.log(
  JSON.stringify({
    bench: 'score-metrics',
    genuine,
    impostor,
    fnmrAtFmrMs: fnmrMs,
    aucMs,
    eerMs,
    fnmr: points.map((p) => (typeof p.value === 'number' ? Number(p.value.toFixed(5)) : 'n/a')),
  }),
);
