import { SingleCommunicator, initBackend, launchRanks, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { LARSOptimizer } from './lars-optimizer';
import { ZeroLARSOptimizer, zeroShardLayout } from './zero-lars-optimizer';
// @ts-expect-error: a plain ES module fixture (it runs in the rank workers), no declarations
import { LEARNING_RATES, SHAPES, STEPS, initialValues, rankGradient } from './zero-lars-optimizer.rank.mjs';

const rankModule = new URL('./zero-lars-optimizer.rank.mjs', import.meta.url);

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

interface RankResult {
  weights: number[][];
  momentum: Array<{ name: string; values: number[] }>;
  iterations: number;
  stateBytes: number;
  layout: { start: number; count: number; total: number };
}

let counter = 0;

/** Unsharded LARS on the combined gradient (ranks summed in rank order in float32, like the collectives). */
function unsharded(worldSize: number, reduction: 'sum' | 'mean') {
  counter++;
  const shapes = SHAPES as number[][];
  const variables = shapes.map((shape, index) =>
    tf.tidy(() => tf.variable(tf.tensor(initialValues(index) as Float32Array, shape), true, `zero-reference-${counter}/${index}`)),
  );
  const optimizer = new LARSOptimizer({ learningRate: LEARNING_RATES[0], weightDecay: 5e-3 });
  for (let step = 0; step < STEPS; step++) {
    optimizer.setLearningRate(LEARNING_RATES[step]);
    const named = shapes.map((shape, index) => {
      const combined = new Float32Array(rankGradient(step, 0, index) as Float32Array);
      for (let r = 1; r < worldSize; r++) {
        const part = rankGradient(step, r, index) as Float32Array;
        for (let i = 0; i < combined.length; i++) combined[i]! += part[i]!;
      }
      if (reduction === 'mean') for (let i = 0; i < combined.length; i++) combined[i]! /= worldSize;
      return { name: variables[index]!.name, tensor: tf.tensor(combined, shape) };
    });
    optimizer.applyGradients(named);
    tf.dispose(named.map((n) => n.tensor));
  }
  const weights = variables.map((v) => Float32Array.from(v.dataSync()));
  return { variables, optimizer, weights };
}

function maxRelativeError(got: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / Math.max(1e-3, Math.abs(expected[i]!)));
  return worst;
}

describe('ZeroLARSOptimizer', () => {
  for (const [worldSize, reduction] of [
    [2, 'sum'],
    [3, 'sum'],
    [3, 'mean'],
  ] as const) {
    it(`W = ${worldSize} (${reduction}): equals unsharded LARSOptimizer, with 1/W of the state per rank`, async () => {
      const results = await launchRanks<RankResult>({ worldSize, module: rankModule, args: { gradientReduction: reduction } });
      const before = tf.memory().numTensors;
      const reference = unsharded(worldSize, reduction);
      const referenceState = await reference.optimizer.getWeights();
      const referenceMomentum = new Map(referenceState.slice(1).map((s) => [s.name.replace(/^zero-reference-\d+/, 'zero-test'), s.tensor.dataSync()]));
      let worst = 0;
      for (const result of results) {
        // Replicated weights: identical on every rank.
        expect(result.weights).toEqual(results[0]!.weights);
        result.weights.forEach((w, index) => {
          worst = Math.max(worst, maxRelativeError(w, reference.weights[index]!));
        });
        for (const { name, values } of result.momentum) worst = Math.max(worst, maxRelativeError(values, referenceMomentum.get(name)!));
        expect(result.momentum).toHaveLength(SHAPES.length);
        expect(result.iterations).toBe(STEPS);
      }
      // Float32 tolerance: only the summation order of the LARS norms differs (seen ~1e-7).
      if (process.env.BIGFACE_PRINT_ERRORS) console.log(`ZeRO W=${worldSize} ${reduction}: max relative error ${worst}`);
      expect(worst).toBeLessThan(1e-5);
      // The weights moved (the test is not vacuous).
      expect(maxRelativeError(results[0]!.weights[2]!, initialValues(2) as Float32Array)).toBeGreaterThan(1e-3);
      // Optimizer memory per rank: this rank's slice of the flat vector, ∝ 1/W.
      const total = results[0]!.layout.total;
      expect(results.map((r) => r.layout.count).reduce((a, b) => a + b, 0)).toBe(total);
      for (const result of results) {
        expect(result.stateBytes).toBe(4 * result.layout.count);
        expect(result.stateBytes).toBeLessThanOrEqual(4 * Math.ceil(total / worldSize));
      }
      tf.dispose(referenceState.map((s) => s.tensor));
      reference.optimizer.dispose();
      tf.dispose(reference.variables);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('W = 1: a step equals LARSOptimizer, state round-trips through LARSOptimizer format, no leaks', async () => {
    const shapes = SHAPES as number[][];
    const id = counter++;
    const make = (tag: string) =>
      shapes.map((shape, index) => tf.tidy(() => tf.variable(tf.tensor(initialValues(index) as Float32Array, shape), true, `zero-w1-${tag}-${id}/${index}`)));
    const zeroVariables = make('zero');
    const larsVariables = make('lars');
    const zero = new ZeroLARSOptimizer({ variables: zeroVariables, communicator: new SingleCommunicator(), learningRate: 0.3 });
    const lars = new LARSOptimizer({ learningRate: 0.3 });
    const before = tf.memory().numTensors;
    for (let step = 0; step < 2; step++) {
      const gradients = shapes.map((shape, index) => tf.tensor(rankGradient(step, 0, index) as Float32Array, shape));
      zero.applyGradients(Object.fromEntries(zeroVariables.map((v, i) => [v.name, gradients[i]!])));
      lars.applyGradients(larsVariables.map((v, i) => ({ name: v.name, tensor: gradients[i]! })));
      tf.dispose(gradients);
    }
    expect(tf.memory().numTensors).toBe(before + larsVariables.length); // LARS's momentum variables
    zeroVariables.forEach((v, i) => {
      expect(maxRelativeError(v.dataSync(), larsVariables[i]!.dataSync())).toBeLessThan(1e-6);
    });
    // LARS state → ZeRO (names mapped) → getWeights gives it back.
    const larsState = await lars.getWeights();
    const renamed = larsState.map((s, i) => (i === 0 ? s : { name: s.name.replace('-lars-', '-zero-'), tensor: s.tensor }));
    const fresh = new ZeroLARSOptimizer({ variables: zeroVariables, communicator: new SingleCommunicator(), learningRate: 0.3 });
    // A state set that leaves a variable out would restart it from zero momentum: refused unless partial.
    await expect(fresh.setWeights(renamed.slice(0, -1))).rejects.toMatchObject({
      code: 'MISSING_STATE',
      message: expect.stringContaining(renamed.at(-1)!.name),
    });
    await fresh.setWeights(renamed);
    const back = await fresh.getWeights();
    expect(fresh.iterations).toBe(2);
    back.slice(1).forEach((s, i) => {
      expect(Array.from(s.tensor.dataSync())).toEqual(Array.from(larsState[i + 1]!.tensor.dataSync()));
    });
    tf.dispose([larsState[0]!.tensor, ...back.map((s) => s.tensor)]);
    lars.dispose();
    tf.dispose([...zeroVariables, ...larsVariables]);
  });

  it('errors: missing gradient, wrong shape, bad options', () => {
    const variable = tf.tidy(() => tf.variable(tf.zeros([2, 2]), true, `zero-errors-${counter++}`));
    const optimizer = new ZeroLARSOptimizer({ variables: [variable], communicator: new SingleCommunicator(), learningRate: 0.1 });
    expect(() => optimizer.applyGradients({})).toThrow(expect.objectContaining({ code: 'MISSING_GRADIENT' }));
    const wrong = tf.zeros([3]);
    expect(() => optimizer.applyGradients([wrong])).toThrow(expect.objectContaining({ code: 'INVALID_SHAPE' }));
    wrong.dispose();
    expect(() => new ZeroLARSOptimizer({ variables: [], communicator: new SingleCommunicator(), learningRate: 0.1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(
      () => new ZeroLARSOptimizer({ variables: [variable], communicator: new SingleCommunicator(), learningRate: 0.1, gradientReduction: 'max' as 'sum' }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    variable.dispose();
  });

  it('zeroShardLayout: contiguous slices, the first total % W one longer', () => {
    const a = tf.tidy(() => tf.variable(tf.zeros([3, 3]), true, `zero-layout-${counter++}`));
    const b = tf.tidy(() => tf.variable(tf.zeros([2]), true, `zero-layout-${counter++}`));
    // total 11 over 3 ranks: 4, 4, 3
    expect(zeroShardLayout([a, b], 3, 0)).toMatchObject({ total: 11, counts: [4, 4, 3], start: 0, count: 4 });
    expect(zeroShardLayout([a, b], 3, 2)).toMatchObject({ start: 8, count: 3 });
    expect(zeroShardLayout([a, b], 3, 1).slots).toEqual([
      { name: a.name, shape: [3, 3], offset: 0, size: 9, excluded: false },
      { name: b.name, shape: [2], offset: 9, size: 2, excluded: true },
    ]);
    tf.dispose([a, b]);
  });
});
