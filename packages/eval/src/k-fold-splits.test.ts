import { describe, expect, it } from 'vitest';
import { kFoldSplits } from './k-fold-splits';

describe('kFoldSplits', () => {
  it('gives the first count % folds test folds one extra item, as KFold(shuffle=False)', () => {
    // KFold(n_splits=3).split(range(7)) tests [0,1,2], [3,4], [5,6].
    expect(kFoldSplits(7, 3).map((fold) => fold.test)).toEqual([
      [0, 1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(kFoldSplits(7, 3)[1]!.train).toEqual([0, 1, 2, 5, 6]);
  });

  it('uses everything for both parts with one fold, and refuses too few items', () => {
    expect(kFoldSplits(3, 1)).toEqual([{ train: [0, 1, 2], test: [0, 1, 2] }]);
    expect(() => kFoldSplits(2, 3)).toThrow(/need at least one item per fold/);
  });
});
