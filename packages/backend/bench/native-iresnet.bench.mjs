#!/usr/bin/env node
// r18-layout IResNet (full width 64-512, 112x112, @bigface/resnet-zoo) training (SGD step: forward in
// training mode, mean-square loss on the embedding, backward, update) and inference img/s at batch 8
// and 32, on: cpu + @bigface/native-cpu (oneDNN), wasm, the JS cpu kernels (inference at batch 8
// only; training on the JS kernels takes many minutes per step and is skipped), and PyTorch via
// /usr/bin/python3 (if torch imports) on the same architecture, with the ratio. Then a per-kernel
// profile of one native training step. One JSON line per case.
// Environment: BENCH_STEPS (timed steps per case, default 2), BENCH_BATCHES (default "8,32"),
// BENCH_BACKENDS (default "native,wasm,js-cpu,torch").
import { execSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initBackend, tf, Rng } from '@bigface/backend';

const here = dirname(fileURLToPath(import.meta.url));
// resnet-zoo depends on backend; bench files are not part of the backend build, so it is loaded by path.
const { IResNet } = await import(pathToFileURL(join(here, '..', '..', 'resnet-zoo', 'dist', 'index.js')).href);

const STEPS = Number(process.env.BENCH_STEPS ?? 2);
const BATCHES = (process.env.BENCH_BATCHES ?? '8,32').split(',').map(Number);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'native,wasm,js-cpu,torch').split(',');
const uptime = () =>
  execSync('uptime')
    .toString()
    .trim()
    .replace(/.*load average: /, '');
const results = {};

function emit(line) {
  console.log(JSON.stringify({ bench: 'native-iresnet', model: 'iresnet-r18-112', ...line, load: uptime() }));
}

function input(batch) {
  const rng = new Rng(3);
  return tf.tensor4d(rng.fillNormal(new Float32Array(batch * 112 * 112 * 3)), [batch, 112, 112, 3]);
}

function trainStep(model, optimizer, x) {
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(x, { training: true }))), model.trainableVariables());
  optimizer.applyGradients(grads);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}

function inferStep(model, x) {
  const y = model.forward(x);
  y.dataSync();
  y.dispose();
}

/** Warm-up once, then `steps` timed runs; img/s. */
function imagesPerSecond(run, batch, steps) {
  run();
  const start = performance.now();
  for (let i = 0; i < steps; i++) run();
  return (batch * steps * 1000) / (performance.now() - start);
}

async function runTfjs(label) {
  const info = await initBackend({ backend: label === 'wasm' ? 'wasm' : 'cpu', native: label === 'native' });
  if (label === 'native' && info.nativeKernels.length === 0) {
    emit({ backend: label, skipped: '@bigface/native-cpu not installed or its addon not built' });
    return;
  }
  const model = IResNet.create('r18', { seed: 1 });
  const optimizer = tf.train.sgd(0.001);
  for (const batch of BATCHES) {
    const x = input(batch);
    for (const mode of ['inference', 'training']) {
      const key = `${label}:${mode}:${batch}`;
      if (label === 'js-cpu' && (mode === 'training' || batch > 8)) {
        emit({
          backend: label,
          mode,
          batch,
          skipped: mode === 'training' ? 'JS cpu training takes many minutes per step (issue 10: 4 steps > 15 min)' : 'JS cpu: batch 8 only',
        });
        continue;
      }
      if (label === 'wasm' && mode === 'training' && batch > 8) {
        emit({ backend: label, mode, batch, skipped: 'wasm heap (4 GB) runs out for full-width r18 training at batch 16+' });
        continue;
      }
      const steps = label === 'js-cpu' ? 1 : STEPS;
      try {
        const ips = imagesPerSecond(() => (mode === 'training' ? trainStep(model, optimizer, x) : inferStep(model, x)), batch, steps);
        results[key] = ips;
        emit({ backend: label, mode, batch, steps, imagesPerSecond: +ips.toFixed(3), threads: info.threads, nativeKernels: info.nativeKernels.length });
      } catch (error) {
        emit({ backend: label, mode, batch, error: String(error.message).slice(0, 200) });
      }
    }
    x.dispose();
  }
  if (label === 'native') {
    // Where a native step's time goes, per kernel (tf.profile at batch 8). Scopes ("unnamed scope": a
    // customGrad's forward or gradient) include the kernels they run, so shares add up to more than 1.
    const x = input(8);
    for (const [mode, run] of [
      ['training', () => trainStep(model, optimizer, x)],
      ['inference', () => inferStep(model, x)],
    ]) {
      const start = performance.now();
      const profile = await tf.profile(run);
      const wallMs = performance.now() - start;
      const byKernel = new Map();
      for (const k of profile.kernels) {
        const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
        entry.ms += ms;
        entry.calls++;
        byKernel.set(k.name, entry);
      }
      const top = [...byKernel.entries()]
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, 14)
        .map(([name, e]) => ({
          kernel: name,
          ms: +e.ms.toFixed(1),
          share: +(e.ms / wallMs).toFixed(3),
          calls: e.calls,
          native: info.nativeKernels.includes(name),
        }));
      emit({ backend: label, mode: `${mode}-profile`, batch: 8, wallMs: +wallMs.toFixed(1), top });
    }
    x.dispose();
  }
  model.dispose();
  optimizer.dispose();
}

const TORCH = `
import json, sys, time, torch, torch.nn as nn
torch.set_num_threads(int(sys.argv[1])); torch.manual_seed(0)
class Block(nn.Module):
    def __init__(s, i, o, stride):
        super().__init__()
        s.bn1 = nn.BatchNorm2d(i, eps=1e-5); s.conv1 = nn.Conv2d(i, o, 3, 1, 1, bias=False); s.bn2 = nn.BatchNorm2d(o, eps=1e-5)
        s.prelu = nn.PReLU(o); s.conv2 = nn.Conv2d(o, o, 3, stride, 1, bias=False); s.bn3 = nn.BatchNorm2d(o, eps=1e-5)
        s.down = nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o, eps=1e-5)) if stride != 1 or i != o else None
    def forward(s, x):
        out = s.bn3(s.conv2(s.prelu(s.bn2(s.conv1(s.bn1(x))))))
        return out + (s.down(x) if s.down is not None else x)
class IResNet(nn.Module):
    def __init__(s, layers=(2, 2, 2, 2), widths=(64, 128, 256, 512)):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False); s.bn1 = nn.BatchNorm2d(64, eps=1e-5); s.prelu = nn.PReLU(64)
        blocks, i = [], 64
        for n, w in zip(layers, widths):
            for b in range(n):
                blocks.append(Block(i, w, 2 if b == 0 else 1)); i = w
        s.blocks = nn.Sequential(*blocks); s.bn2 = nn.BatchNorm2d(512, eps=1e-5)
        s.fc = nn.Linear(512 * 7 * 7, 512); s.features = nn.BatchNorm1d(512, eps=1e-5)
    def forward(s, x):
        x = s.blocks(s.prelu(s.bn1(s.conv1(x))))
        return s.features(s.fc(torch.flatten(s.bn2(x), 1)))
model = IResNet(); opt = torch.optim.SGD(model.parameters(), lr=0.001); steps = int(sys.argv[2])
for batch in [int(b) for b in sys.argv[3].split(',')]:
    x = torch.randn(batch, 3, 112, 112)
    def infer():
        with torch.no_grad(): model(x)
    def train():
        opt.zero_grad(); loss = model(x).square().mean(); loss.backward(); opt.step()
    for mode, fn in (('inference', infer), ('training', train)):
        model.train(mode == 'training'); fn(); t = time.perf_counter()
        for _ in range(steps): fn()
        print(json.dumps({'mode': mode, 'batch': batch, 'steps': steps, 'imagesPerSecond': batch * steps / (time.perf_counter() - t), 'threads': torch.get_num_threads(), 'torch': torch.__version__}), flush=True)
`;

function runTorch() {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    emit({ backend: 'pytorch', skipped: '/usr/bin/python3 cannot import torch (Debian: apt-get install python3-torch)' });
    return;
  }
  const threads = String(Number(execSync('nproc').toString()));
  const out = spawnSync('/usr/bin/python3', ['-c', TORCH, threads, String(STEPS), BATCHES.join(',')], { encoding: 'utf8', timeout: 1_200_000 });
  for (const line of out.stdout.split('\n').filter(Boolean)) {
    const r = JSON.parse(line);
    results[`torch:${r.mode}:${r.batch}`] = r.imagesPerSecond;
    const ratio = (label) => {
      const v = results[`${label}:${r.mode}:${r.batch}`];
      return v === undefined ? undefined : +(v / r.imagesPerSecond).toFixed(3);
    };
    emit({
      backend: 'pytorch',
      ...r,
      imagesPerSecond: +r.imagesPerSecond.toFixed(3),
      ratioNativeToTorch: ratio('native'),
      ratioWasmToTorch: ratio('wasm'),
      ratioJsCpuToTorch: ratio('js-cpu'),
    });
  }
  if (out.status !== 0) emit({ backend: 'pytorch', error: out.stderr.slice(-300) });
}

for (const label of BACKENDS) {
  if (label === 'torch') runTorch();
  else await runTfjs(label);
}
