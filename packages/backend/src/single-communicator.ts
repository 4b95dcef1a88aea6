import {
  assertRoot,
  dataTypeCode,
  reduceOpCode,
  resolveCounts,
  type Communicator,
  type GatheredArrays,
  type NumericArray,
  type ReduceOp,
} from './communicator';

/**
 * The {@link Communicator} of a single process (rank 0 of 1): every collective is the identity,
 * but still validates its arguments like the multi-rank ones and returns a copy, so that code
 * written for W ranks runs unchanged (and mutating a result never touches the input).
 *
 * @example
 * import { SingleCommunicator } from '@bigface/backend';
 * const communicator = new SingleCommunicator();
 * communicator.allReduce(Float32Array.of(1, 2), 'mean'); // Float32Array [1, 2]
 */
export class SingleCommunicator implements Communicator {
  readonly rank = 0;
  readonly worldSize = 1;

  allReduce<T extends NumericArray>(data: T, op: ReduceOp = 'sum'): T {
    dataTypeCode(data, 'allReduce');
    reduceOpCode(op, 'allReduce');
    return data.slice() as T;
  }

  allGather<T extends NumericArray>(data: T): T {
    dataTypeCode(data, 'allGather');
    return data.slice() as T;
  }

  allGatherV<T extends NumericArray>(data: T): GatheredArrays<T> {
    dataTypeCode(data, 'allGatherV');
    return { data: data.slice() as T, counts: [data.length] };
  }

  reduceScatter<T extends NumericArray>(data: T, op: ReduceOp = 'sum', counts?: readonly number[]): T {
    dataTypeCode(data, 'reduceScatter');
    reduceOpCode(op, 'reduceScatter');
    resolveCounts(counts, data.length, 1, 'reduceScatter');
    return data.slice() as T;
  }

  broadcast<T extends NumericArray>(data: T, root = 0): T {
    dataTypeCode(data, 'broadcast');
    assertRoot(root, 1, 'broadcast');
    return data.slice() as T;
  }

  barrier(): void {}
}
