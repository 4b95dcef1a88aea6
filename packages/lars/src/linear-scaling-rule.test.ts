import { describe, expect, it } from 'vitest';
import { linearScalingRule } from './linear-scaling-rule';

describe('linearScalingRule', () => {
  it('scales the base rate by globalBatchSize / 256', () => {
    // The BigFace recipe: lr 0.01 per 256, batch 256 on each of 8 ranks → 0.08.
    expect(linearScalingRule({ base: 0.01, globalBatchSize: 8 * 256 })).toBeCloseTo(0.08, 15);
    expect(linearScalingRule({ base: 0.1, globalBatchSize: 128 })).toBe(0.05);
    expect(linearScalingRule({ base: 0.1, globalBatchSize: 1024, referenceBatchSize: 512 })).toBe(0.2);
  });

  it('rejects a zero batch size', () => {
    expect(() => linearScalingRule({ base: 0.1, globalBatchSize: 0 })).toThrow(/globalBatchSize must be a finite number > 0/);
  });
});
