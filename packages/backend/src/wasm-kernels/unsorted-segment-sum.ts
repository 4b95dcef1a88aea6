import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs } from './wasm-backend';

/**
 * `UnsortedSegmentSum` on wasm (the gradient of `gather`): out[s, ...] = Σ_{i: ids[i] = s} x[i, ...].
 *
 * `segmentIds` is rank 1 with length x.shape[0], or of any rank k matching the first k dimensions
 * of x (TensorFlow's semantics: the output is [numSegments, ...x.shape.slice(k)]). Ids outside
 * [0, numSegments) are dropped, as TensorFlow does. Rows of one segment are added in index order
 * in double precision and rounded once, like the cpu backend.
 */
export function unsortedSegmentSumWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const x = inputs.x as tf.TensorInfo;
  const segmentIds = inputs.segmentIds as tf.TensorInfo;
  const numSegments = Number((args.attrs as { numSegments: number }).numSegments);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`UnsortedSegmentSum (wasm): numSegments must be a non-negative integer, got ${numSegments}`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum (wasm): x must be float32 or int32, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== 'int32' && segmentIds.dtype !== 'float32') {
    throw new Error(`UnsortedSegmentSum (wasm): segmentIds must be int32, got ${segmentIds.dtype}`);
  }
  const idsRank = segmentIds.shape.length;
  const leading = x.shape.slice(0, idsRank);
  if (idsRank === 0 || idsRank > x.shape.length || leading.some((d, i) => d !== segmentIds.shape[i])) {
    throw new Error(`UnsortedSegmentSum (wasm): segmentIds of shape [${segmentIds.shape}] must match the leading ` + `dimensions of x [${x.shape}]`);
  }
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const innerShape = x.shape.slice(idsRank);
  const inner = tf.util.sizeFromShape(innerShape);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  if (numSegments * inner === 0) return out;
  // Views after the output is allocated (an allocation can grow, and so detach, the heap).
  const outValues = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  outValues.fill(0);
  if (rows === 0) return out;
  const xValues = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array | Float32Array;

  // Counting sort of the row indices by segment keeps each segment's rows in index order.
  const starts = new Int32Array(numSegments + 1);
  for (let i = 0; i < rows; i++) {
    const s = ids[i] as number;
    if (s >= 0 && s < numSegments && Number.isInteger(s)) starts[s + 1]!++;
  }
  for (let s = 0; s < numSegments; s++) starts[s + 1]! += starts[s]!;
  const order = new Int32Array(starts[numSegments]!);
  const cursor = starts.slice(0, numSegments);
  for (let i = 0; i < rows; i++) {
    const s = ids[i] as number;
    if (s >= 0 && s < numSegments && Number.isInteger(s)) order[cursor[s]!++] = i;
  }
  const accumulator = new Float64Array(inner);
  for (let s = 0; s < numSegments; s++) {
    const begin = starts[s]!;
    const end = starts[s + 1]!;
    if (begin === end) continue;
    const target = s * inner;
    if (end - begin === 1) {
      const source = order[begin]! * inner;
      outValues.set(xValues.subarray(source, source + inner), target);
      continue;
    }
    accumulator.fill(0);
    for (let k = begin; k < end; k++) {
      const source = order[k]! * inner;
      for (let j = 0; j < inner; j++) accumulator[j]! += xValues[source + j]!;
    }
    for (let j = 0; j < inner; j++) outValues[target + j] = accumulator[j]!;
  }
  return out;
}
