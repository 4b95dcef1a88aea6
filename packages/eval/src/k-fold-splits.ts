import { assertArgument } from '@bigface/backend';

/** One fold: indices to fit on (`train`) and to score on (`test`). */
export interface Fold {
  train: number[];
  test: number[];
}

/**
 * Contiguous k-fold splits of `0 … count−1`, as scikit-learn's `KFold(n_splits, shuffle=False)`:
 * the first `count % folds` test folds get one extra item. With `folds = 1` the single fold trains
 * and tests on everything (insightface's `LFold`).
 *
 * @example
 * kFoldSplits(5, 2); // [{ train: [3, 4], test: [0, 1, 2] }, { train: [0, 1, 2], test: [3, 4] }]
 */
export function kFoldSplits(count: number, folds: number): Fold[] {
  assertArgument(Number.isInteger(folds) && folds >= 1, 'EVAL_BAD_FOLDS', () => `kFoldSplits: folds must be an integer ≥ 1, got ${folds}`);
  assertArgument(
    Number.isInteger(count) && count >= folds,
    'EVAL_BAD_FOLDS',
    () => `kFoldSplits: need at least one item per fold, got ${count} items for ${folds} folds`,
  );
  const all = Array.from({ length: count }, (_, index) => index);
  if (folds === 1) return [{ train: all, test: all }];
  const base = Math.floor(count / folds);
  const extra = count % folds;
  const result: Fold[] = [];
  let start = 0;
  for (let fold = 0; fold < folds; fold += 1) {
    const end = start + base + (fold < extra ? 1 : 0);
    result.push({ train: [...all.slice(0, start), ...all.slice(end)], test: all.slice(start, end) });
    start = end;
  }
  return result;
}
