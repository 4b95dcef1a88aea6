import { describe, expect, it } from 'vitest';
import { memoryBreakdown, parseByteSize, planMemory } from './plan-memory';

describe('planMemory', () => {
  it('matches a hand computation for r18, 1000 classes, 4 GPUs, batch 8', () => {
    // P = 24,025,600 (insightface r18, issue 4) → weights = gradients = momentum = 4·P = 96,102,400 B
    // C_r = 1000/4 = 250; PartialFC shard 3·4·250·512 = 1,536,000
    // logits + grad 2·4·(8·4)·250 = 64,000; gathered embeddings + grad 2·4·32·512 = 131,072
    // activations 4 · 12,657,920 · 8 = 405,053,440 (see plan-activations.test.ts)
    // total = 3·96,102,400 + 405,053,440 + 1,536,000 + 64,000 + 131,072 = 695,091,712
    const plan = planMemory({ model: 'r18', classes: 1000, gpus: 4, batch: 8, gpuMemoryBytes: 600e6 });
    expect(plan.parameters).toBe(24_025_600);
    expect(plan.classesPerRank).toBe(250);
    expect(plan.baseline).toEqual({
      weights: 96_102_400,
      gradients: 96_102_400,
      optimizerState: 96_102_400,
      activations: 405_053_440,
      partialFcShard: 1_536_000,
      logits: 64_000,
      embeddings: 131_072,
      total: 695_091_712,
    });
    expect(plan.baselineFits).toBe(false);
    // ZeRO-1 alone: momentum 4·ceil(P/4) = 24,025,600 → 695,091,712 − 72,076,800 = 623,014,912 > 600e6.
    // Stage checkpointing: activations 4 · 9,271,040 · 8 = 296,673,280 → 288,307,200 + 296,673,280 + 1,731,072
    // = 586,711,552 ≤ 600e6: the cheapest fitting switch.
    expect(plan.recommended?.switches).toEqual({ checkpointing: 'stage', microBatches: 1, zero1: false });
    expect(plan.recommended?.breakdown.total).toBe(586_711_552);
  });

  it('scales activations and logits by 1/k and shards momentum with ZeRO-1', () => {
    const shape = {
      parameters: 1000,
      classesPerRank: 10,
      gpus: 4,
      batch: 8,
      embeddingSize: 2,
      activationElementsPerImage: { none: 100, stage: 60, block: 50 },
    };
    // k = 2: micro-batch 4, gathered 16. activations 4·50·4 = 800; logits 2·4·16·10 = 1280; embeddings 2·4·16·2 = 256
    // momentum with ZeRO-1: 4·ceil(1000/4) = 1000; weights = grads = 4000; shard 3·4·10·2 = 240
    expect(memoryBreakdown(shape, { checkpointing: 'block', microBatches: 2, zero1: true })).toEqual({
      weights: 4000,
      gradients: 4000,
      optimizerState: 1000,
      activations: 800,
      partialFcShard: 240,
      logits: 1280,
      embeddings: 256,
      total: 11576,
    });
  });

  it('plans the deck question: r600, WebFace42M, 64 GPUs, 32 GiB, batch 256', () => {
    const plan = planMemory({ model: 'r600', classes: 2_059_906, gpus: 64, batch: 256, gpuMemoryBytes: parseByteSize('32GiB') });
    // 2,059,906 = 64·32,186 + 2 → C_r = 32,187
    expect(plan.classesPerRank).toBe(32_187);
    expect(plan.baseline.weights).toBe(4 * 306_490_816);
    // 3·4·32,187·512 = 197,756,928;  2·4·(256·64)·32,187 = 131,072·32,187 = 4,194,304,000 + 24,510,464 = 4,218,814,464
    expect(plan.baseline.partialFcShard).toBe(197_756_928);
    expect(plan.baseline.logits).toBe(4_218_814_464);
    expect(plan.baselineFits).toBe(false);
    expect(plan.recommended).not.toBeNull();
    expect(plan.recommended!.breakdown.total).toBeLessThanOrEqual(34_359_738_368);
  });

  it('names the argument that is wrong', () => {
    expect(() => planMemory({ model: 'r18', classes: 0, gpus: 4, batch: 8, gpuMemoryBytes: 1e9 })).toThrow(
      /planMemory: classes must be a positive integer, got 0/,
    );
    expect(() => planMemory({ model: 'r18', classes: 10, gpus: 1.5, batch: 8, gpuMemoryBytes: 1e9 })).toThrow(/gpus must be a positive integer/);
    expect(() => planMemory({ model: 'r18', classes: 10, gpus: 1, batch: 8, gpuMemoryBytes: -1 })).toThrow(/gpuMemoryBytes must be positive/);
    expect(() => planMemory({ model: 'r19', classes: 10, gpus: 1, batch: 8, gpuMemoryBytes: 1e9 })).toThrow(/r18/);
  });

  it('parses memory sizes', () => {
    expect(parseByteSize('32GiB')).toBe(34_359_738_368);
    expect(parseByteSize('80GB')).toBe(80e9);
    expect(parseByteSize('24G')).toBe(24 * 2 ** 30);
    expect(parseByteSize('4096')).toBe(4096);
    expect(() => parseByteSize('32 parsecs')).toThrow(/not a memory size/);
  });
});
