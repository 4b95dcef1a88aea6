// Test helpers: the PyTorch reference in test-support/reference (see its README).
import { readReferenceJson } from '../../../test-support/reference';

export interface LARSReferenceRun {
  eta: number;
  weight_decay: number;
  momentum: number;
  eps: number;
  exclude_rank_le_1: boolean;
  shapes: number[][];
  init: number[][];
  /** grads[step][parameter], flat row-major. */
  grads: number[][][];
  lrs: number[];
  /** params_after_each_step[step][parameter], flat row-major. */
  params_after_each_step: number[][][];
}

export function larsReference(): { rule: string; runs: LARSReferenceRun[] } {
  return readReferenceJson('lars.json');
}

/** max |actual − expected|. */
export function maxAbsoluteError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let error = 0;
  for (let i = 0; i < expected.length; i++) error = Math.max(error, Math.abs(actual[i]! - expected[i]!));
  return error;
}
