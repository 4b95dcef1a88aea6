// Agreement with the LARS trajectories of test-support/reference/lars.json (PyTorch 1.13), every size
// (parameters, shapes, steps) and learning rate read from the file:
// trust = eta·|w| / (|g| + wd·|w| + eps); d = trust·(g + wd·w) (excluded: d = g); v = momentum·v + d; w −= lr·v.
import { initBackend, tf } from '@bigface/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { LARSOptimizer, linearWarmup, multiStepSchedule } from '../src/index';
import { larsReference, maxAbsoluteError } from './helpers';

const reference = larsReference();
/** Largest |parameter − reference| over every step: float32 rounding over a few steps stays far below. */
const TOLERANCE = 1e-5;

describe.each(['cpu', 'wasm'] as const)('LARS against the PyTorch reference on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });

  it.each(reference.runs.map((run) => [`${run.exclude_rank_le_1 ? 'excluding rank ≤ 1' : 'excluding nothing'}, ${run.grads.length} steps`, run] as const))(
    '%s: every step within 1e-5',
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
          if (scale > 0)
            worstUpdate = Math.max(
              worstUpdate,
              maxAbsoluteError(
                Array.from(actual, (v, j) => v - previous[j]!),
                update,
              ) / scale,
            );
          worst = Math.max(worst, maxAbsoluteError(variable.dataSync(), run.params_after_each_step[step]![i]!));
        });
      });
      // How far the reference moved the parameters (today ~1e-2 excluding rank ≤ 1, ~1e-4 excluding
      // nothing: eta = 1e-3 makes steps small). The error must be small against that too, or an
      // optimizer that did nothing would pass the absolute bound on a file whose steps are small.
      const moved = Math.max(...run.params_after_each_step.flatMap((parameters) => parameters.map((values, i) => maxAbsoluteError(values, run.init[i]!))));
      if (process.env.BIGFACE_REPORT_ERRORS)
        console.log(backend, label, 'max abs error', worst, 'reference moved', moved, 'update relative error', worstUpdate);
      expect(worst).toBeLessThan(TOLERANCE);
      expect(worst).toBeLessThan(moved / 10);
      expect(worstUpdate).toBeLessThan(1e-2);
      optimizer.dispose();
      tf.dispose(variables);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('reproduces the reference learning rates with linearWarmup(multiStepSchedule), its parameters read off them', () => {
    for (const { lrs } of reference.runs) {
      // The file's rates are a linear warm-up to the largest rate, reached at step warmupSteps − 1,
      // then a drop by one factor gamma at each milestone (today: 3 steps to 0.01, ×0.1 at step 7).
      // Read off that way, the schedule must give every rate, warm-up steps included.
      const base = Math.max(...lrs);
      const warmupSteps = lrs.indexOf(base) + 1;
      const milestones = lrs.flatMap((rate, step) => (step >= warmupSteps && rate < lrs[step - 1]! ? [step] : []));
      const gamma = milestones.length > 0 ? lrs[milestones[0]!]! / lrs[milestones[0]! - 1]! : 0.1;
      const schedule = linearWarmup(multiStepSchedule({ base, milestones, gamma }), { warmupSteps });
      lrs.forEach((rate, step) => {
        expect(Math.abs(schedule(step) - rate), `step ${step}`).toBeLessThan(1e-15);
      });
    }
  });
});
