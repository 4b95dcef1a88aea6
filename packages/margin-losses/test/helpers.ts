// Test helpers: the PyTorch reference in test-support/reference (see its README), error measures
// and a central finite difference.
import { readReferenceJson } from '../../../test-support/reference';

export interface MarginReferenceCase {
  name: string;
  s: number;
  m1: number;
  m2: number;
  m3: number;
  B: number;
  C: number;
  D: number;
  embeddings: number[];
  weights: number[];
  labels: number[];
  logits: number[];
  loss: number;
  grad_embeddings: number[];
  grad_weights: number[];
}

export function marginReference(): { note: string; cases: MarginReferenceCase[] } {
  return readReferenceJson('margin-losses.json');
}

/** max |actual − expected| / max |expected|: the relative error we report and bound. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let error = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    error = Math.max(error, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return error / scale;
}

/** Central difference (f(x + h·e_i) − f(x − h·e_i)) / 2h for each coordinate i of x. */
export function finiteDifference(f: (x: Float32Array) => number, x: Float32Array, h: number): Float32Array {
  const gradient = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i] = x[i]! + h;
    minus[i] = x[i]! - h;
    // The step actually taken, after float32 rounding of x ± h.
    gradient[i] = (f(plus) - f(minus)) / (plus[i]! - minus[i]!);
  }
  return gradient;
}
