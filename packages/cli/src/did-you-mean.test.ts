import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './did-you-mean';

describe('didYouMean', () => {
  it('finds typos and prefixes, and nothing for unrelated words', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(didYouMean('trian', ['train', 'distill', 'eval'])).toBe('train');
    expect(didYouMean('dist', ['train', 'distill', 'eval'])).toBe('distill');
    expect(didYouMean('ouput', ['output', 'seed'])).toBe('output');
    expect(didYouMean('banana', ['train', 'eval'])).toBeNull();
  });
});
