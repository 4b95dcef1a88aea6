// Ours vs PyTorch on the same machine, one JSON line per case with both numbers, the ratio
// (ours / PyTorch throughput, > 1 = faster) and the load average: r18 training (fp32 and bf16 mixed
// precision) at batch 8 and 32, BN-folded inference at batch 8 and 32, the deck's r240 at batch 1
// (latency), and a PartialFC step (cosine logits + CosFace + cross-entropy + backward + LARS) at
// C = 100k and 1M, D 512, batch 32; then where one training step's time goes, per kernel.
// PyTorch comes from Debian's python3-torch (not a dependency): without it, our numbers alone.
// Run: pnpm build && pnpm --filter @bigface/train bench:pytorch
// Environment: BENCH_CASES (comma list, default all), BENCH_STEPS (default 3), BENCH_THREADS (default: all cores).
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { initBackend, SingleCommunicator, tf } from '@bigface/backend';
import { cosFace } from '@bigface/margin-losses';
import { PartialFC } from '@bigface/partial-fc';
import { foldBatchNorm, IResNet } from '@bigface/resnet-zoo';
import { createTrainingOptimizer } from '@bigface/train';

const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const THREADS = Number(process.env.BENCH_THREADS ?? cpus().length);
const ALL = [
  'train:8',
  'train:32',
  'train-bf16:8',
  'train-bf16:32',
  'infer:r18:8',
  'infer:r18:32',
  'infer:r240:1',
  'partialfc:100000',
  'partialfc:1000000',
  'profile',
];
const CASES = process.env.BENCH_CASES ? process.env.BENCH_CASES.split(',') : ALL;
const load = () => Number(loadavg()[0].toFixed(2));

function timed(run, warmup = 1) {
  for (let i = 0; i < warmup; i++) run();
  const start = performance.now();
  for (let i = 0; i < STEPS; i++) run();
  return (performance.now() - start) / 1000 / STEPS;
}

const info = await initBackend({ threads: THREADS });
const machine = { backend: info.description, cores: cpus().length, cpu: cpus()[0]?.model };

/** Our seconds per step (or per batch) of each case. */
async function ours(kase) {
  const [kind, ...rest] = kase.split(':');
  if (kind === 'train' || kind === 'train-bf16') {
    if (kind === 'train-bf16') {
      try {
        await initBackend({ threads: THREADS, precision: 'bf16' });
      } catch (error) {
        return { skipped: `bf16: ${error.message}` };
      }
    }
    const batch = Number(rest[0]);
    const model = IResNet.create('r18', { seed: 1 });
    const optimizer = tf.train.sgd(1e-3);
    const x = tf.randomNormal([batch, 112, 112, 3], 0, 1, 'float32', 1);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(x, { training: true }))), model.trainableVariables());
      optimizer.applyGradients(grads);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    };
    const seconds = timed(step);
    tf.dispose(x);
    model.dispose();
    optimizer.dispose();
    if (kind === 'train-bf16') await initBackend({ threads: THREADS, precision: 'fp32' });
    return { seconds, imagesPerSecond: batch / seconds };
  }
  if (kind === 'infer') {
    const [arch, batchText] = rest;
    const batch = Number(batchText);
    const model = IResNet.create(arch, { seed: 1 });
    const folded = foldBatchNorm(model);
    model.dispose();
    const x = tf.randomNormal([batch, 112, 112, 3], 0, 1, 'float32', 1);
    // Steady state: 3 warm-up batches on both sides (ours keeps each filter reordered from its second use on).
    const seconds = timed(() => {
      const y = folded.forward(x);
      y.dataSync();
      y.dispose();
    }, 3);
    tf.dispose(x);
    folded.dispose();
    return { seconds, imagesPerSecond: batch / seconds };
  }
  if (kind === 'partialfc') {
    const classes = Number(rest[0]);
    const communicator = new SingleCommunicator();
    const head = new PartialFC({ numClasses: classes, embeddingSize: 512, communicator, margin: cosFace({ s: 64, m: 0.4 }), seed: 1 });
    const optimizer = createTrainingOptimizer({ groups: [head.parameterGroup()], communicator, lars: { momentum: 0.9, weightDecay: 5e-4, eta: 1e-3 } });
    const embeddings = tf.variable(tf.randomNormal([32, 512], 0, 1, 'float32', 2));
    const labels = Int32Array.from({ length: 32 }, (_, i) => (i * 7919) % classes);
    const seconds = timed(() => {
      const { value, grads } = tf.variableGrads(() => head.forward(embeddings, labels).loss, [head.weight, embeddings]);
      optimizer.step([grads[head.weight.name]], 0.01);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    });
    embeddings.dispose();
    optimizer.dispose();
    head.dispose();
    return { seconds };
  }
  return { skipped: `unknown case ${kase}` };
}

function torchCases(cases) {
  const script = fileURLToPath(new URL('./pytorch_cases.py', import.meta.url));
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { missing: '/usr/bin/python3 cannot import torch: apt-get install python3-torch (Debian) for the PyTorch side' };
  const run = spawnSync('/usr/bin/python3', [script, String(THREADS), cases.join(','), String(STEPS)], { encoding: 'utf8', timeout: 3_600_000 });
  if (run.status !== 0) return { missing: `PyTorch side failed: ${run.stderr.slice(-400)}` };
  const byCase = new Map();
  for (const line of run.stdout.trim().split('\n').filter(Boolean)) {
    const parsed = JSON.parse(line);
    byCase.set(parsed.case, parsed);
  }
  return { byCase };
}

const measured = CASES.filter((c) => c !== 'profile');
// PyTorch first, alone on the machine, then ours.
const torch = torchCases(measured);
for (const kase of measured) {
  const mine = await ours(kase);
  const theirs = torch.byCase?.get(kase);
  const theirSeconds = theirs ? (theirs.secondsPerStep ?? theirs.secondsPerBatch) : undefined;
  const line = { bench: 'vs-pytorch', case: kase, ...machine, threads: THREADS, steps: STEPS, load: load() };
  if (mine.skipped) {
    console.log(JSON.stringify({ ...line, skipped: mine.skipped, torchSeconds: theirSeconds }));
    continue;
  }
  console.log(
    JSON.stringify({
      ...line,
      oursSeconds: Number(mine.seconds.toFixed(4)),
      torchSeconds: theirSeconds === undefined ? null : Number(theirSeconds.toFixed(4)),
      ...(mine.imagesPerSecond
        ? { oursImagesPerSecond: Number(mine.imagesPerSecond.toFixed(2)), torchImagesPerSecond: theirs ? Number(theirs.imagesPerSecond.toFixed(2)) : null }
        : {}),
      // ours / PyTorch in throughput (> 1: we are faster).
      ratio: theirSeconds === undefined ? null : Number((theirSeconds / mine.seconds).toFixed(3)),
      ...(torch.missing ? { torch: torch.missing } : { torchVersion: theirs?.torch }),
    }),
  );
}

if (CASES.includes('profile')) {
  // Where one r18 training step at batch 8 goes: each kernel's own time (every cpu kernel wrapped in
  // a timer; kernels do not nest, so the lines add up), and the rest of the step (tfjs's engine and
  // tape, the custom-gradient scopes, garbage collection) as 'other'. Mean of BENCH_STEPS steps.
  const timings = new Map();
  const wrapped = [];
  for (const config of tf.getKernelsForBackend('cpu')) {
    const run = config.kernelFunc;
    wrapped.push(config);
    tf.unregisterKernel(config.kernelName, 'cpu');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const start = performance.now();
        const out = run(args);
        const entry = timings.get(config.kernelName) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - start;
        entry.calls++;
        timings.set(config.kernelName, entry);
        return out;
      },
    });
  }
  const model = IResNet.create('r18', { seed: 1 });
  const optimizer = tf.train.sgd(1e-3);
  const x = tf.randomNormal([8, 112, 112, 3], 0, 1, 'float32', 1);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(x, { training: true }))), model.trainableVariables());
    optimizer.applyGradients(grads);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  timings.clear();
  const start = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  const wallMs = (performance.now() - start) / STEPS;
  const rows = [...timings.entries()].map(([kernel, e]) => ({ kernel, ms: e.ms / STEPS, calls: e.calls / STEPS }));
  const kernelMs = rows.reduce((sum, row) => sum + row.ms, 0);
  rows.sort((a, b) => b.ms - a.ms);
  const shown = rows.slice(0, 12);
  shown.push({ kernel: 'other (engine, tape, gradient scopes, GC)', ms: wallMs - kernelMs, calls: 0 });
  for (const row of shown) {
    console.log(
      JSON.stringify({
        bench: 'vs-pytorch',
        case: 'profile:train:8',
        kernel: row.kernel,
        ms: Number(row.ms.toFixed(1)),
        share: Number((row.ms / wallMs).toFixed(3)),
        calls: row.calls,
        native: info.nativeKernels.includes(row.kernel),
        stepMs: Number(wallMs.toFixed(1)),
        load: load(),
      }),
    );
  }
  tf.dispose(x);
  model.dispose();
  optimizer.dispose();
  for (const config of wrapped) {
    tf.unregisterKernel(config.kernelName, 'cpu');
    tf.registerKernel(config);
  }
}
