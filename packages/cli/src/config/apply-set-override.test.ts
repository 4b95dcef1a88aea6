import { describe, expect, it } from 'vitest';
import { applySetOverride } from './apply-set-override';
import { deepMerge } from './deep-merge';

describe('applySetOverride / deepMerge', () => {
  it('reads values as YAML scalars and creates missing objects', () => {
    const config: Record<string, unknown> = { loss: { m: 0.4 } };
    applySetOverride(config, 'loss.m=0.5');
    applySetOverride(config, 'model.layers=[1, 1, 2, 1]');
    applySetOverride(config, 'name=my-run');
    applySetOverride(config, 'data.flip=false');
    expect(config).toEqual({ loss: { m: 0.5 }, model: { layers: [1, 1, 2, 1] }, name: 'my-run', data: { flip: false } });
    applySetOverride(config, 'data=null');
    expect(config.data).toBeUndefined();
    expect(() => applySetOverride(config, 'loss.m')).toThrow(/expected key\.path=value/);
  });

  it('merges objects, replaces arrays and removes null keys', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: null })).toEqual({ a: { b: 1, c: [3] } });
    expect(deepMerge({}, { e: { f: 1, g: null } })).toEqual({ e: { f: 1 } });
  });
});
