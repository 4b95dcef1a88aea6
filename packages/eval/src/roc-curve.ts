import { assertArgument } from '@bigface/backend';

/** A ROC curve over every distinct score: point i accepts pairs with `score ≥ thresholds[i]`. */
export interface RocCurve {
  /** Descending; the first is +Infinity (accept nothing). */
  thresholds: number[];
  /** False accept (false match) rate per threshold: impostors accepted / impostors. Non-decreasing. */
  falseAcceptRate: number[];
  /** True accept rate per threshold: genuine pairs accepted / genuine pairs. Non-decreasing. */
  trueAcceptRate: number[];
  genuineCount: number;
  impostorCount: number;
}

/** Checks scores and labels and counts the two classes; `where` names the caller. */
export function checkScores(scores: ArrayLike<number>, issame: ArrayLike<boolean>, where: string): { genuine: number; impostor: number } {
  assertArgument(scores.length === issame.length, 'EVAL_BAD_SCORES', () => `${where}: ${scores.length} scores but ${issame.length} issame labels`);
  let genuine = 0;
  for (let index = 0; index < scores.length; index += 1) {
    assertArgument(
      Number.isFinite(scores[index]),
      'EVAL_BAD_SCORES',
      () => `${where}: score ${index} is ${scores[index]}; scores must be finite (a NaN embedding?)`,
    );
    if (issame[index]) genuine += 1;
  }
  const impostor = scores.length - genuine;
  assertArgument(
    genuine > 0 && impostor > 0,
    'EVAL_BAD_SCORES',
    () => `${where}: need genuine and impostor pairs, got ${genuine} genuine and ${impostor} impostor`,
  );
  return { genuine, impostor };
}

/**
 * The ROC curve of similarity scores (e.g. cosine; higher = more likely the same person) at every
 * distinct score as threshold, from (0, 0) at +∞ to (1, 1), ties handled as one step.
 *
 * @example
 * const roc = rocCurve([0.9, 0.2, 0.7, 0.4], [true, false, true, false]);
 * // thresholds [∞, 0.9, 0.7, 0.4, 0.2], falseAcceptRate [0, 0, 0, 0.5, 1], trueAcceptRate [0, 0.5, 1, 1, 1]
 */
export function rocCurve(scores: ArrayLike<number>, issame: ArrayLike<boolean>): RocCurve {
  const { genuine, impostor } = checkScores(scores, issame, 'rocCurve');
  const order = Array.from({ length: scores.length }, (_, index) => index).sort((a, b) => scores[b]! - scores[a]!);
  const thresholds = [Number.POSITIVE_INFINITY];
  const falseAcceptRate = [0];
  const trueAcceptRate = [0];
  let acceptedGenuine = 0;
  let acceptedImpostor = 0;
  for (let position = 0; position < order.length; ) {
    const threshold = scores[order[position]!]!;
    while (position < order.length && scores[order[position]!] === threshold) {
      if (issame[order[position]!]) acceptedGenuine += 1;
      else acceptedImpostor += 1;
      position += 1;
    }
    thresholds.push(threshold);
    falseAcceptRate.push(acceptedImpostor / impostor);
    trueAcceptRate.push(acceptedGenuine / genuine);
  }
  return { thresholds, falseAcceptRate, trueAcceptRate, genuineCount: genuine, impostorCount: impostor };
}
