// ZeRO-1 optimizer memory per rank (run under mpirun -np W by bench/run.mjs): LARS momentum of an
// IResNet-18-sized backbone (the r18 convolution shapes at full width, ~24 M parameters) sharded
// across W ranks, and the time of one ZeroLARSOptimizer step. Rank 0 prints one JSON line.
import { initBackend, tf } from '@bigface/backend';
import { ZeroLARSOptimizer } from '@bigface/lars';
import { MpiCommunicator } from '@bigface/mpi';

const communicator = MpiCommunicator.create();
await initBackend({ backend: 'cpu' });
// IResNet-18 (insightface layout, 112×112): stem, 4 stages of 2 blocks (64, 128, 256, 512), BN, FC 512·7·7 → 512.
const shapes = [[3, 3, 3, 64], [64]];
let inChannels = 64;
for (const channels of [64, 128, 256, 512]) {
  for (let block = 0; block < 2; block++) {
    const input = block === 0 ? inChannels : channels;
    shapes.push([3, 3, input, channels], [channels], [3, 3, channels, channels], [channels], [channels]);
    if (block === 0) shapes.push([1, 1, input, channels], [channels]);
  }
  inChannels = channels;
}
shapes.push([512 * 7 * 7, 512], [512]);
const variables = shapes.map((shape, index) => tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 0.05, 'float32', index), true, `bench/${index}`)));
const parameters = variables.reduce((sum, v) => sum + v.size, 0);
const optimizer = new ZeroLARSOptimizer({ variables, communicator, learningRate: 0.1 });
const gradients = variables.map((v, index) => tf.randomNormal(v.shape, 0, 1e-3, 'float32', 1000 + index));
optimizer.applyGradients(gradients); // warm-up
communicator.barrier();
const started = performance.now();
optimizer.applyGradients(gradients);
const stepSeconds = (performance.now() - started) / 1000;
const bytes = communicator.allGather(Float64Array.of(optimizer.stateBytes));
if (communicator.rank === 0) {
  console.log(
    JSON.stringify({
      bench: 'zero-lars-state-per-rank',
      worldSize: communicator.worldSize,
      parameters,
      unshardedStateBytes: 4 * parameters,
      stateBytesPerRank: Array.from(bytes),
      fractionOfUnsharded: +(Math.max(...bytes) / (4 * parameters)).toFixed(4),
      stepSeconds: +stepSeconds.toFixed(3),
    }),
  );
}
