import { rocCurve } from './roc-curve';

/**
 * Area under the ROC curve (trapezoids between the distinct-score points; equals the probability
 * that a genuine pair outscores an impostor pair, ties counting one half).
 *
 * @example
 * areaUnderRoc([0.9, 0.2, 0.7, 0.4], [true, false, true, false]); // 1
 */
export function areaUnderRoc(scores: ArrayLike<number>, issame: ArrayLike<boolean>): number {
  const { falseAcceptRate: x, trueAcceptRate: y } = rocCurve(scores, issame);
  let area = 0;
  for (let index = 1; index < x.length; index += 1) area += ((x[index]! - x[index - 1]!) * (y[index]! + y[index - 1]!)) / 2;
  return area;
}
