import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initBackend, launchRanks, tf } from '@bigface/backend';
import { loadPartialFCShard, PartialFC } from '@bigface/partial-fc';

const fixture = fileURLToPath(new URL('./fixtures/checkpoint.mjs', import.meta.url));
type Result = { weight: number[]; momentum: number[]; step: number };

describe('PartialFC checkpoints', () => {
  it('saved with W = 2, loads into W = 3 and W = 1 with the same classifier (resharding)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'partial-fc-'));
    const common = { numClasses: 11, embeddingSize: 4, directory };
    const saved = (await launchRanks({ worldSize: 2, module: fixture, args: { ...common, phase: 'save' } })) as Result[];
    expect(readdirSync(directory).sort()).toEqual(['partial_fc.rank-0-of-2.safetensors', 'partial_fc.rank-1-of-2.safetensors']);
    const full = saved.flatMap((r) => r.weight);
    // The momentum companion holds 0..21 in row order over all shards.
    const fullMomentum = Array.from({ length: 22 }, (_, i) => i);
    expect(saved.flatMap((r) => r.momentum)).toEqual(fullMomentum);
    for (const worldSize of [3, 1]) {
      const loaded = (await launchRanks({ worldSize, module: fixture, args: { ...common, phase: 'load' } })) as Result[];
      // The loaders were initialised from another seed: equality means the rows came from the files.
      expect(loaded.flatMap((r) => r.weight)).toEqual(full);
      expect(loaded.flatMap((r) => r.momentum)).toEqual(fullMomentum);
      expect(loaded.every((r) => r.step === 42)).toBe(true);
    }
    rmSync(directory, { recursive: true, force: true });
  });

  it('refuses incomplete or mismatched checkpoints with a clear error', async () => {
    await initBackend({ backend: 'cpu' });
    const directory = mkdtempSync(join(tmpdir(), 'partial-fc-'));
    await launchRanks({ worldSize: 2, module: fixture, args: { numClasses: 11, embeddingSize: 4, directory, phase: 'save' } });
    const other = new PartialFC({ numClasses: 12, embeddingSize: 4, name: 'partial_fc' });
    expect(() => loadPartialFCShard(other, directory)).toThrow(/holds 11 classes × 4; this PartialFC has 12 × 4/);
    rmSync(join(directory, 'partial_fc.rank-1-of-2.safetensors'));
    const same = new PartialFC({ numClasses: 11, embeddingSize: 4, name: 'partial_fc_same' });
    expect(() => loadPartialFCShard(same, directory)).toThrow(/no 'partial_fc_same\.rank-\*-of-\*\.safetensors'/);
    other.dispose();
    same.dispose();
    const before = tf.memory().numTensors;
    const head = new PartialFC({ numClasses: 11, embeddingSize: 4, name: 'partial_fc' });
    expect(() => loadPartialFCShard(head, directory)).toThrow(/lacks the shards of ranks 1 \(of 2\)/);
    head.dispose();
    expect(tf.memory().numTensors).toBe(before);
    rmSync(directory, { recursive: true, force: true });
  });
});
