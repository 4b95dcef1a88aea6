// Benchmark of @bigface/resnet-zoo: eval forward (plain and BN-folded) and one training step
// (plain and with per-stage gradient checkpointing), printing ONE JSON line per case.
//
//   pnpm bench                                   # r18, batch 8, wasm (what fits in a few minutes on 2 cores)
//   pnpm bench -- --models r18,r50 --batches 8,32 --backends cpu,wasm   # the full grid (slow on CPU)
//   pnpm bench -- --width 0.25 --backends cpu    # a quarter-width model: quick, still shows the memory effect
//
// The training step is forward (training-mode BN) + backward + SGD update of a stand-in loss
// (mean squared embedding): the margin losses live in @bigface/margin-losses.
// Peak memory is tfjs's own accounting (`tf.profile().peakBytes`), weights included.
import { initBackend, tf } from '@bigface/backend';
import { IResNet, countFlops, foldBatchNorm } from '@bigface/resnet-zoo';

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const models = argument('models', 'r18').split(',');
const batches = argument('batches', '8').split(',').map(Number);
const backends = argument('backends', 'wasm').split(',');
const cases = argument('cases', 'forward,forward-folded,train-step,train-step-checkpointed').split(',');
const widthMultiplier = Number(argument('width', '1'));
const iterations = Number(argument('iterations', '2'));
// The pure-JS cpu backend trains at ~0.008 GFLOP/s in its filter gradient: refuse full-size steps there.
const allowSlow = process.argv.includes('--allow-slow');

async function measure(run) {
  run(); // warm-up (the first wasm step compiles and allocates)
  const profile = await tf.profile(() => {
    run();
  });
  const start = performance.now();
  for (let i = 0; i < iterations; i++) run();
  const seconds = (performance.now() - start) / 1000;
  return { seconds: seconds / iterations, peakBytes: profile.peakBytes };
}

for (const backend of backends) {
  const info = await initBackend({ backend });
  for (const name of models) {
    for (const batch of batches) {
      const architecture = { backbone: name, widthMultiplier };
      const model = IResNet.create(architecture, { seed: 1 });
      const folded = cases.includes('forward-folded') ? foldBatchNorm(model) : undefined;
      const images = tf.randomNormal([batch, 112, 112, 3], 0, 1, 'float32', 7);
      const optimizer = tf.train.sgd(0.01);
      const base = {
        bench: 'resnet-zoo',
        backend: info.name,
        native: (info.nativeKernels ?? []).length > 0,
        model: name,
        widthMultiplier,
        batch,
        gflopsPerImage: Number(countFlops(model.config).gflops.toFixed(3)),
        weightBytes: model.parameterCount() * 4,
      };
      for (const kind of cases) {
        const training = kind.startsWith('train');
        const nativeTraining = (info.nativeKernels ?? []).includes('Conv2DBackpropFilter');
        if (training && info.name === 'cpu' && !nativeTraining && !allowSlow) {
          console.log(
            JSON.stringify({
              ...base,
              case: kind,
              skipped:
                'the pure-JS cpu filter gradient runs at ~0.008 GFLOP/s (hours per step) and @bigface/native-cpu is not loaded; pass --allow-slow to try',
            }),
          );
          continue;
        }
        const run = {
          forward: () => tf.dispose(model.forward(images)),
          'forward-folded': () => tf.dispose(folded.forward(images)),
          'train-step': () =>
            tf.dispose(optimizer.minimize(() => tf.mean(tf.square(model.forward(images, { training: true }))), true, model.trainableVariables())),
          'train-step-checkpointed': () =>
            tf.dispose(
              optimizer.minimize(() => tf.mean(tf.square(model.forward(images, { training: true, checkpointing: 'stage' }))), true, model.trainableVariables()),
            ),
        }[kind];
        try {
          const { seconds, peakBytes } = await measure(run);
          console.log(
            JSON.stringify({
              ...base,
              case: kind,
              imagesPerSecond: Number((batch / seconds).toFixed(2)),
              secondsPerBatch: Number(seconds.toFixed(3)),
              peakBytes,
              peakMiB: Number((peakBytes / 2 ** 20).toFixed(1)),
            }),
          );
        } catch (error) {
          console.log(JSON.stringify({ ...base, case: kind, error: String(error.message ?? error).slice(0, 200) }));
        }
      }
      images.dispose();
      folded?.dispose();
      model.dispose();
      optimizer.dispose();
    }
  }
}
