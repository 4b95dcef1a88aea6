import { FUSED_KERNELS, Rng, hasFusedKernel, initBackend, isBigFaceError, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { LARSOptimizer, excludeRankAtMostOne } from './lars-optimizer';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

let counter = 0;
/** A variable with a name unique in this process (the engine's registry is global). */
function variable(values: number[], shape: number[]): tf.Variable {
  counter++;
  return tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `lars-test-${counter}`));
}

/** One applyGradients call with plain number arrays as gradients. */
function step(optimizer: tf.Optimizer, pairs: Array<[tf.Variable, number[]]>): void {
  const named = pairs.map(([v, g]) => ({ name: v.name, tensor: tf.tensor(g, v.shape) }));
  optimizer.applyGradients(named);
  tf.dispose(named.map((n) => n.tensor));
}

const values = (v: tf.Tensor) => Array.from(v.dataSync());

describe('LARSOptimizer', () => {
  it('takes the LARS step worked out by hand', () => {
    const before = tf.memory().numTensors;
    const w = variable([3, 4], [1, 2]); // |w| = 5
    const optimizer = new LARSOptimizer({ learningRate: 0.1 });
    step(optimizer, [[w, [0.6, 0.8]]]); // |g| = 1
    // trust = 0.001·5 / (1 + 5e-4·5 + 1e-8) = 0.004987531...; d = trust·(g + 5e-4·w) = trust·[0.6015, 0.802]
    const trust = (0.001 * 5) / (1 + 5e-4 * 5 + 1e-8);
    const d1 = [trust * 0.6015, trust * 0.802];
    const w1 = [3 - 0.1 * d1[0]!, 4 - 0.1 * d1[1]!];
    values(w).forEach((v, i) => {
      expect(v).toBeCloseTo(w1[i]!, 6);
    });
    // Second step, same gradient: v = 0.9·d1 + d2, with the trust ratio recomputed at w1.
    step(optimizer, [[w, [0.6, 0.8]]]);
    const norm1 = Math.hypot(...w1);
    const trust2 = (0.001 * norm1) / (1 + 5e-4 * norm1 + 1e-8);
    const d2 = [trust2 * (0.6 + 5e-4 * w1[0]!), trust2 * (0.8 + 5e-4 * w1[1]!)];
    const w2 = w1.map((x, i) => x - 0.1 * (0.9 * d1[i]! + d2[i]!));
    values(w).forEach((v, i) => {
      expect(v).toBeCloseTo(w2[i]!, 6);
    });
    expect(optimizer.iterations).toBe(2);
    optimizer.dispose();
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('uses a trust ratio of 1 when the weight or the gradient norm is 0', () => {
    const before = tf.memory().numTensors;
    const zeroWeight = variable([0, 0, 0, 0], [2, 2]);
    const zeroGradient = variable([3, 4], [1, 2]);
    const optimizer = new LARSOptimizer({ learningRate: 0.1 });
    step(optimizer, [
      [zeroWeight, [1, 2, 3, 4]],
      [zeroGradient, [0, 0]],
    ]);
    // |w| = 0: d = g + wd·0 = g, w1 = −0.1·g. |g| = 0: d = wd·w, w1 = w − 0.1·5e-4·w.
    values(zeroWeight).forEach((v, i) => {
      expect(v).toBeCloseTo(-0.1 * [1, 2, 3, 4][i]!, 7);
    });
    values(zeroGradient).forEach((v, i) => {
      expect(v).toBeCloseTo([3, 4][i]! * (1 - 0.1 * 5e-4), 7);
    });
    optimizer.dispose();
    tf.dispose([zeroWeight, zeroGradient]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives excluded variables (default: rank ≤ 1) exactly tfjs momentum SGD, without weight decay', () => {
    const before = tf.memory().numTensors;
    const rng = new Rng(1);
    const init = Array.from({ length: 5 }, () => rng.normal());
    const ours = variable(init, [5]);
    const theirs = variable(init, [5]);
    const scalar = variable([2], []);
    const lars = new LARSOptimizer({ learningRate: 0.05 });
    const momentum = tf.train.momentum(0.05, 0.9);
    for (let k = 0; k < 5; k++) {
      const gradient = Array.from({ length: 5 }, () => rng.normal());
      step(lars, [
        [ours, gradient],
        [scalar, [0.5]],
      ]);
      step(momentum, [[theirs, gradient]]);
    }
    values(ours).forEach((v, i) => {
      expect(Math.abs(v - values(theirs)[i]!)).toBeLessThan(1e-7);
    });
    // The rank-0 variable too: v = Σ 0.9^k·0.5 over 5 steps, w = 2 − 0.05·Σ_k v_k.
    let v = 0;
    let w = 2;
    for (let k = 0; k < 5; k++) {
      v = 0.9 * v + 0.5;
      w -= 0.05 * v;
    }
    expect(values(scalar)[0]).toBeCloseTo(w, 6);
    expect(excludeRankAtMostOne(ours)).toBe(true);
    tf.dispose([ours, theirs, scalar]);
    lars.dispose();
    momentum.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose() does not dispose its learning-rate scalar.
    expect(tf.memory().numTensors).toBe(before + 1);
  });

  it('takes a custom exclude predicate (by name here), and applies LARS to any rank', () => {
    const before = tf.memory().numTensors;
    const bias = variable([1, -2], [2]); // rank 1, but not excluded by this predicate
    const kernel = variable(
      Array.from({ length: 16 }, (_, i) => i / 16 - 0.5),
      [2, 2, 2, 2],
    );
    const excludedKernel = variable([1, 2, 3, 4], [2, 2]);
    const optimizer = new LARSOptimizer({ learningRate: 1, exclude: (x) => x.name === excludedKernel.name });
    step(optimizer, [
      [bias, [0.3, 0.4]],
      [kernel, Array.from({ length: 16 }, () => 0.25)],
      [excludedKernel, [1, 1, 1, 1]],
    ]);
    // bias: |w| = √5, |g| = 0.5: trust = 0.001·√5 / (0.5 + 5e-4·√5 + 1e-8); w1 = w − trust·(g + 5e-4·w).
    const trust = (0.001 * Math.sqrt(5)) / (0.5 + 5e-4 * Math.sqrt(5) + 1e-8);
    values(bias).forEach((v, i) => {
      expect(v).toBeCloseTo([1, -2][i]! - trust * ([0.3, 0.4][i]! + 5e-4 * [1, -2][i]!), 6);
    });
    // kernel (rank 4): |g| = 1; |w|² = Σ (i/16 − 0.5)², i = 0..15.
    const kernelInit = Array.from({ length: 16 }, (_, i) => i / 16 - 0.5);
    const kernelNorm = Math.hypot(...kernelInit);
    const kernelTrust = (0.001 * kernelNorm) / (1 + 5e-4 * kernelNorm + 1e-8);
    values(kernel).forEach((v, i) => {
      expect(v).toBeCloseTo(kernelInit[i]! - kernelTrust * (0.25 + 5e-4 * kernelInit[i]!), 7);
    });
    // excluded: plain SGD step with lr 1, no decay.
    expect(values(excludedKernel)).toEqual([0, 1, 2, 3]);
    optimizer.dispose();
    tf.dispose([bias, kernel, excludedKernel]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('works through minimize() and keeps a constant tensor count across steps', () => {
    const before = tf.memory().numTensors;
    const w = variable([1, -1, 2, 0.5], [2, 2]);
    const target = tf.tensor2d([
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
    const optimizer = new LARSOptimizer({ learningRate: 50, weightDecay: 0 });
    const loss = () => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar;
    const first = tf.tidy(() => loss().dataSync()[0]!);
    optimizer.minimize(loss);
    const afterFirstStep = tf.memory().numTensors;
    for (let k = 0; k < 20; k++) optimizer.minimize(loss);
    expect(tf.memory().numTensors).toBe(afterFirstStep);
    expect(tf.tidy(() => loss().dataSync()[0]!)).toBeLessThan(first);
    optimizer.dispose();
    tf.dispose([w, target]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('round-trips through getConfig/fromConfig and getWeights/setWeights mid-run: identical trajectory', async () => {
    const before = tf.memory().numTensors;
    const rng = new Rng(9);
    const shapes = [[3, 2], [2], [2, 1, 2]];
    const init = shapes.map((s) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.normal()));
    const gradients = Array.from({ length: 8 }, () => init.map((w) => w.map(() => rng.normal(0, 0.1))));
    const rates = [0.5, 1, 1, 0.5, 0.5, 0.2, 0.2, 0.1];
    const options = { learningRate: 0.5, momentum: 0.8, weightDecay: 1e-3, eta: 0.01, epsilon: 1e-6 };

    // Straight through: 8 steps.
    const straight = shapes.map((s, i) => variable(init[i]!, s));
    const optimizerA = new LARSOptimizer(options);
    gradients.forEach((g, k) => {
      optimizerA.setLearningRate(rates[k]!);
      step(
        optimizerA,
        straight.map((v, i) => [v, g[i]!] as [tf.Variable, number[]]),
      );
    });

    // Interrupted after 5 steps: save parameters and optimizer state, rebuild, restore, continue.
    const resumed = shapes.map((s, i) => variable(init[i]!, s));
    const optimizerB = new LARSOptimizer(options);
    gradients.slice(0, 5).forEach((g, k) => {
      optimizerB.setLearningRate(rates[k]!);
      step(
        optimizerB,
        resumed.map((v, i) => [v, g[i]!] as [tf.Variable, number[]]),
      );
    });
    const config = JSON.parse(JSON.stringify(optimizerB.getConfig()));
    const weights = await optimizerB.getWeights();
    expect(weights.map((w) => w.name)).toEqual(['iter', ...resumed.map((v) => `${v.name}/momentum`)]);
    const saved = weights.map(({ name, tensor }) => ({ name, data: Array.from(tensor.dataSync()), shape: tensor.shape, dtype: tensor.dtype }));
    weights[0]!.tensor.dispose(); // the iteration scalar is a new tensor; the states are live
    const savedParameters = resumed.map((v) => Array.from(v.dataSync()));
    optimizerB.dispose();

    const [cls] = tf.serialization.SerializationMap.getMap().classNameMap.LARS!;
    const optimizerC = tf.serialization.SerializationMap.getMap().classNameMap.LARS![1](cls, config) as LARSOptimizer;
    expect(optimizerC).toBeInstanceOf(LARSOptimizer);
    expect(optimizerC.getConfig()).toEqual(options);
    const restored = saved.map(({ name, data, shape, dtype }) => ({ name, tensor: tf.tensor(data, shape, dtype) }));
    await optimizerC.setWeights(restored);
    tf.dispose(restored.map((r) => r.tensor));
    expect(optimizerC.iterations).toBe(5);
    tf.tidy(() =>
      resumed.forEach((v, i) => {
        v.assign(tf.tensor(savedParameters[i]!, v.shape));
      }),
    );
    gradients.slice(5).forEach((g, k) => {
      optimizerC.setLearningRate(rates[k + 5]!);
      step(
        optimizerC,
        resumed.map((v, i) => [v, g[i]!] as [tf.Variable, number[]]),
      );
    });
    resumed.forEach((v, i) => {
      expect(values(v)).toEqual(values(straight[i]!));
    });
    expect(optimizerC.iterations).toBe(8);

    optimizerA.dispose();
    optimizerC.dispose();
    tf.dispose([...straight, ...resumed]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("keeps at most three weight-sized temporaries alive in a step (a PartialFC shard is most of a rank's memory)", async () => {
    const rows = 2000;
    const columns = 64;
    const shardBytes = rows * columns * 4;
    const rng = new Rng(8);
    const initial = new Float32Array(rows * columns);
    rng.fillNormal(initial, 0, 0.1);
    counter++;
    const w = tf.tidy(() => tf.variable(tf.tensor2d(initial, [rows, columns]), true, `lars-test-${counter}`));
    for (const reduceSquaredNorms of [undefined, (_variable: tf.Variable, squared: Float32Array) => squared]) {
      const optimizer = new LARSOptimizer({ learningRate: 0.1, weightDecay: 5e-4, reduceSquaredNorms });
      const gradientValues = new Float32Array(rows * columns);
      rng.fillNormal(gradientValues, 0, 0.01);
      const gradient = tf.tensor2d(gradientValues, [rows, columns]);
      optimizer.applyGradients({ [w.name]: gradient }); // creates the momentum
      const before = tf.memory().numBytes;
      const profile = await tf.profile(() => optimizer.applyGradients({ [w.name]: gradient }));
      // Weight, gradient and momentum are alive before; a step adds at most 3 of their size on the
      // way (the trust-scaled update, momentum·a, and their sum); all at once it was ~10.
      expect((profile.peakBytes - before) / shardBytes).toBeLessThanOrEqual(3.01);
      expect(tf.memory().numBytes).toBe(before);
      gradient.dispose();
      optimizer.dispose();
    }
    w.dispose();
  });

  it('rejects bad options, unknown variables and foreign state with named arguments', async () => {
    const code = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isBigFaceError(error) ? `${error.code}: ${error.message}` : String(error);
      }
      return 'no error';
    };
    expect(code(() => new LARSOptimizer({ learningRate: -1 }))).toMatch(/^INVALID_ARGUMENT: LARSOptimizer: learningRate must be/);
    expect(code(() => new LARSOptimizer({ learningRate: 0.1, eta: 0 }))).toMatch(/eta must be a finite number > 0/);
    expect(code(() => new LARSOptimizer({ learningRate: 0.1, momentum: Number.NaN }))).toMatch(/momentum/);
    const optimizer = new LARSOptimizer({ learningRate: 0.1 });
    const gradient = tf.zeros([2]);
    expect(code(() => optimizer.applyGradients({ 'no-such-variable': gradient }))).toMatch(/^UNKNOWN_VARIABLE: .*'no-such-variable'/);
    gradient.dispose();
    const iter = tf.scalar(0, 'int32');
    const state = tf.zeros([2]);
    await expect(
      optimizer.setWeights([
        { name: 'iter', tensor: iter },
        { name: 'w/velocity', tensor: state },
      ]),
    ).rejects.toThrow(/state 'w\/velocity' is not a LARS state/);
    tf.dispose([iter, state]);
    optimizer.dispose();
  });

  it('refuses a momentum that belongs to no variable (it would sit unused while the variable restarts at zero), unless asked to drop it', async () => {
    const w = tf.variable(tf.ones([2, 2]), true, `lars-strict-${Date.now()}`);
    const iter = tf.scalar(3, 'int32');
    const ours = tf.fill([2, 2], 0.5);
    const stray = tf.zeros([2, 2]);
    const optimizer = new LARSOptimizer({ learningRate: 0.1 });
    const states = [
      { name: 'iter', tensor: iter },
      { name: `${w.name}/momentum`, tensor: ours },
      { name: 'iresnet7/conv1.weight/momentum', tensor: stray },
    ];
    await expect(optimizer.setWeights(states)).rejects.toMatchObject({
      code: 'UNKNOWN_VARIABLE',
      message: expect.stringContaining('belong to no registered variable: iresnet7/conv1.weight/momentum'),
    });
    const wrongShape = tf.zeros([3]);
    await expect(
      optimizer.setWeights([
        { name: 'iter', tensor: iter },
        { name: `${w.name}/momentum`, tensor: wrongShape },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_SHAPE' });
    wrongShape.dispose();
    await optimizer.setWeights(states, { allowUnknown: true });
    const restored = await optimizer.getWeights();
    expect(restored.map((entry) => entry.name)).toEqual(['iter', `${w.name}/momentum`]);
    expect(Array.from(restored[1]!.tensor.dataSync())).toEqual([0.5, 0.5, 0.5, 0.5]);
    restored[0]!.tensor.dispose();
    tf.dispose([w, iter, ours, stray]);
    optimizer.dispose();
  });

  it('takes the same steps through the fused native kernels as through tfjs ops (norms reduced by a callback, an excluded variable)', async () => {
    const run = async (native: boolean) => {
      await initBackend({ backend: 'cpu', native });
      const rng = new Rng(21);
      const tag = `lars-fused-${native}-${Date.now()}`;
      const kernel = tf.variable(tf.tensor(rng.fillNormal(new Float32Array(300 * 40)), [300, 40]), true, `${tag}/kernel`);
      const bias = tf.variable(tf.tensor(rng.fillNormal(new Float32Array(40)), [40]), true, `${tag}/bias`);
      const reduced: string[] = [];
      const optimizer = new LARSOptimizer({
        learningRate: 0.2,
        weightDecay: 5e-4,
        reduceSquaredNorms: (variable, squared) => {
          reduced.push(variable.name);
          return squared;
        },
      });
      for (let step = 0; step < 3; step++) {
        const grads = [kernel, bias].map((v) => ({ name: v.name, tensor: tf.tensor(rng.fillNormal(new Float32Array(v.size)), v.shape) }));
        optimizer.applyGradients(grads);
        tf.dispose(grads.map((g) => g.tensor));
      }
      const out = {
        fused: hasFusedKernel(FUSED_KERNELS.larsApply),
        kernel: Array.from(kernel.dataSync()),
        bias: Array.from(bias.dataSync()),
        reduced: reduced.map((n) => n.replace(tag, '')),
      };
      optimizer.dispose();
      tf.dispose([kernel, bias]);
      return out;
    };
    const composite = await run(false);
    const fused = await run(true);
    await initBackend({ backend: 'cpu' });
    expect(composite.fused).toBe(false);
    // Without the addon both runs take the composite path: the comparison still holds, trivially.
    expect(fused.reduced).toEqual(composite.reduced); // the callback sees the non-excluded variable once a step
    expect(fused.reduced).toEqual(['/kernel', '/kernel', '/kernel']);
    const worst = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0) / b.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
    // Norms summed in double (fused) vs float32 (tfjs ops): seen ≤ 1e-7.
    expect(worst(fused.kernel, composite.kernel)).toBeLessThan(1e-6);
    expect(worst(fused.bias, composite.bias)).toBeLessThan(1e-6);
  });
});
