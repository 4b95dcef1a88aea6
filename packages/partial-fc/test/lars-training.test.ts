import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { launchRanks } from '@bigface/backend';

const fixture = fileURLToPath(new URL('./fixtures/lars-training.mjs', import.meta.url));

describe('PartialFC + LARS', () => {
  it('sharded training (W = 3, uneven) ends with the same centres as unsharded training', async () => {
    const common = { numClasses: 11, embeddingSize: 6, batch: 8, steps: 6 };
    const [single] = (await launchRanks({ worldSize: 1, module: fixture, args: { ...common, rowsPerRank: [8] } })) as Array<{
      losses: number[];
      weight: number[];
    }>;
    const sharded = (await launchRanks({ worldSize: 3, module: fixture, args: { ...common, rowsPerRank: [4, 2, 2] } })) as Array<{
      losses: number[];
      weight: number[];
    }>;
    // Training happened: the loss moved.
    expect(single!.losses[0]).not.toBeCloseTo(single!.losses.at(-1)!, 2);
    for (const rank of sharded) {
      rank.losses.forEach((loss, step) => {
        expect(Math.abs(loss - single!.losses[step]!)).toBeLessThan(1e-4 * Math.abs(single!.losses[step]!));
      });
    }
    const concatenated = sharded.flatMap((rank) => rank.weight);
    expect(concatenated).toHaveLength(single!.weight.length);
    let worst = 0;
    concatenated.forEach((value, i) => {
      worst = Math.max(worst, Math.abs(value - single!.weight[i]!));
    });
    const scale = Math.max(...single!.weight.map(Math.abs));
    expect(worst).toBeLessThan(1e-4 * scale);
  });
});
