// Agreement with the 10-step LARS trajectories of test-support/reference/lars.json (PyTorch 1.13):
// trust = eta·|w| / (|g| + wd·|w| + eps); d = trust·(g + wd·w) (excluded: d = g); v = momentum·v + d; w −= lr·v.
import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { LARSOptimizer, linearWarmup, multiStepSchedule } from '../src/index';
import { larsReference, maxAbsoluteError } from './helpers';

const reference = larsReference();

describe.each(['cpu', 'wasm'] as const)('LARS against the PyTorch reference on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });

  it.each(reference.runs.map((run) => [run.exclude_rank_le_1 ? 'excluding rank ≤ 1' : 'excluding nothing', run] as const))(
    '%s: 10 steps within 1e-5',
    (label, run) => {
      const before = tf.memory().numTensors;
      const names = run.shapes.map((_, i) => `lars-reference-${backend}-${label}-${i}`);
      const variables = run.shapes.map((shape, i) => tf.tidy(() => tf.variable(tf.tensor(run.init[i]!, shape), true, names[i])));
      const optimizer = new LARSOptimizer({
        learningRate: run.lrs[0]!,
        eta: run.eta,
        weightDecay: run.weight_decay,
        momentum: run.momentum,
        epsilon: run.eps,
        ...(run.exclude_rank_le_1 ? {} : { exclude: () => false }),
      });
      let worst = 0;
      let worstUpdate = 0; // max |Δw − Δw_ref| / max |Δw_ref| per step: LARS steps are small
      let moved = 0; // how far the parameters moved: the error bound means something only if this is large

      run.grads.forEach((gradients, step) => {
        optimizer.setLearningRate(run.lrs[step]!);
        const named = gradients.map((g, i) => ({ name: names[i]!, tensor: tf.tensor(g, run.shapes[i]) }));
        optimizer.applyGradients(named);
        tf.dispose(named.map((n) => n.tensor));
        variables.forEach((variable, i) => {
          const previous = step === 0 ? run.init[i]! : run.params_after_each_step[step - 1]![i]!;
          const expected = run.params_after_each_step[step]![i]!;
          const actual = variable.dataSync();
          const update = expected.map((v, j) => v - previous[j]!);
          const scale = Math.max(...update.map(Math.abs));
          if (scale > 0) worstUpdate = Math.max(worstUpdate, maxAbsoluteError(Array.from(actual, (v, j) => v - previous[j]!), update) / scale);
          moved = Math.max(moved, maxAbsoluteError(variable.dataSync(), run.init[i]!));
          worst = Math.max(worst, maxAbsoluteError(variable.dataSync(), run.params_after_each_step[step]![i]!));
        });
      });
      if (process.env.BIGFACE_REPORT_ERRORS) console.log(backend, label, 'max abs error', worst, 'moved', moved, 'update relative error', worstUpdate);
      expect(worst).toBeLessThan(1e-5);
      expect(moved).toBeGreaterThan(1e-4);
      expect(worstUpdate).toBeLessThan(1e-2);
      optimizer.dispose();
      tf.dispose(variables);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('reproduces the reference learning rates with linearWarmup(multiStepSchedule)', () => {
    // 3 warm-up steps to 0.01, ×0.1 at step 7.
    const schedule = linearWarmup(multiStepSchedule({ base: 0.01, milestones: [7], gamma: 0.1 }), { warmupSteps: 3 });
    for (const run of reference.runs) {
      run.lrs.forEach((rate, step) => expect(Math.abs(schedule(step) - rate)).toBeLessThan(1e-15));
    }
  });
});
