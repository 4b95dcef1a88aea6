// Rank function for zero-lars-optimizer.test.ts (run by launchRanks in worker threads, importing the
// built packages): seeded variables, seeded per-rank gradients, a few ZeRO-1 LARS steps; returns
// the final weights, the gathered momentum (getWeights) and this rank's optimizer state bytes.
import { Rng, initBackend, tf } from '@bigface/backend';
import { ZeroLARSOptimizer } from '@bigface/lars';

export const SHAPES = [
  [3, 3, 2, 4], // conv kernel: LARS
  [4], // BatchNorm scale: excluded (rank 1)
  [16, 10], // dense: LARS
  [10], // bias: excluded
  [7, 5], // starts at zero: trust ratio 1
];
export const STEPS = 3;
export const LEARNING_RATES = [0.5, 0.5, 0.2];

export function initialValues(index) {
  const values = new Float32Array(SHAPES[index].reduce((a, b) => a * b, 1));
  if (index !== 4) Rng.derive(11, index).fillNormal(values, index === 1 ? 1 : 0, 0.3);
  return values;
}

/** Rank r's gradient of variable `index` at `step`. */
export function rankGradient(step, rank, index) {
  const values = new Float32Array(SHAPES[index].reduce((a, b) => a * b, 1));
  Rng.derive(12, step, rank, index).fillNormal(values, 0.05 * (rank - 1), 1);
  return values;
}

export default async function rank(communicator, { gradientReduction = 'sum' } = {}) {
  await initBackend({ backend: 'cpu' });
  const variables = SHAPES.map((shape, index) => tf.variable(tf.tensor(initialValues(index), shape), true, `zero-test/${index}`));
  const optimizer = new ZeroLARSOptimizer({ variables, communicator, learningRate: LEARNING_RATES[0], weightDecay: 5e-3, gradientReduction });
  for (let step = 0; step < STEPS; step++) {
    optimizer.setLearningRate(LEARNING_RATES[step]);
    const gradients = SHAPES.map((shape, index) => tf.tensor(rankGradient(step, communicator.rank, index), shape));
    optimizer.applyGradients(gradients);
    tf.dispose(gradients);
  }
  const state = await optimizer.getWeights();
  const result = {
    weights: variables.map((v) => Array.from(v.dataSync())),
    momentum: state.slice(1).map((s) => ({ name: s.name, values: Array.from(s.tensor.dataSync()) })),
    iterations: optimizer.iterations,
    stateBytes: optimizer.stateBytes,
    layout: { start: optimizer.layout.start, count: optimizer.layout.count, total: optimizer.layout.total },
  };
  tf.dispose(state.map((s) => s.tensor));
  return result;
}
