import { describe, expect, it } from 'vitest';
import { BACKBONES } from './backbone-registry';
import { countParameters } from './count-parameters';

describe('countParameters', () => {
  it("equals PyTorch's sum(p.numel()) for insightface's IResNets (512-d)", () => {
    // Numbers from PyTorch: sum(p.numel() for p in iresnetXX().parameters()).
    expect(countParameters('r18')).toBe(24_025_600);
    expect(countParameters('r34')).toBe(34_139_328);
    expect(countParameters('r50')).toBe(43_590_848);
    expect(countParameters('r100')).toBe(65_156_160);
    expect(countParameters('r200')).toBe(118_833_920);
  });

  it('counts every zoo entry, the deck giants included, without allocating weights', () => {
    for (const name of Object.keys(BACKBONES)) expect(countParameters(name)).toBeGreaterThan(2e7);
    // r1.2k: 650M parameters would need 2.6 GB as float32; counting must be instant.
    const start = performance.now();
    expect(countParameters('r1.2k')).toBeGreaterThan(6e8);
    expect(performance.now() - start).toBeLessThan(200);
  });

  it('depends on embedding size as fc + features do: (in + 1 + 2) per output', () => {
    // fc.weight 25088*e + fc.bias e + features.weight/bias 2e.
    const delta = countParameters({ backbone: 'r18', embeddingSize: 513 }) - countParameters('r18');
    expect(delta).toBe(512 * 7 * 7 + 3);
  });
});
