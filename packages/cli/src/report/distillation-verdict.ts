/** FNMR of one model on the two protocols (null where it could not be measured). */
export interface ProtocolFnmr {
  masked: number | null;
  standard: number | null;
}

/** A difference of FNMR (candidate − reference) with its 95 % interval, per protocol (null: not measurable). */
export interface ProtocolDifference {
  masked: { estimate: number; low: number; high: number } | null;
  standard: { estimate: number; low: number; high: number } | null;
}

type Comparison = 'better' | 'worse' | 'within noise' | 'not measurable';

/** Better only when the whole interval of candidate − reference is below 0, worse when above. */
function compare(difference: ProtocolDifference['masked']): Comparison {
  if (difference === null) return 'not measurable';
  return difference.high < 0 ? 'better' : difference.low > 0 ? 'worse' : 'within noise';
}

const signed = (value: number) => `${value > 0 ? '+' : ''}${value.toFixed(3)}`;

/**
 * The demo's honest sentences about its three models: the teacher against the plain student, then
 * the distilled student against the plain one, per protocol — better / worse only when the 95 %
 * interval of the paired difference (a bootstrap over held-out identities, from @bigface/eval)
 * excludes zero, "within noise" otherwise. Distilling towards a teacher that is not stronger cannot
 * be expected to help, so the teacher comes first.
 *
 * @example
 * distillationVerdict(
 *   { teacher, plain, distilled },                                   // FNMR per protocol
 *   { teacherVsPlain: { masked: { estimate: -0.12, low: -0.18, high: -0.06 }, standard }, distilledVsPlain },
 *   { falseMatchRate: 1e-3 },
 * );
 */
export function distillationVerdict(
  models: { teacher: ProtocolFnmr; plain: ProtocolFnmr; distilled: ProtocolFnmr },
  differences: { teacherVsPlain: ProtocolDifference; distilledVsPlain: ProtocolDifference },
  options: { falseMatchRate: number },
): string {
  const { falseMatchRate } = options;
  const protocols = ['masked', 'standard'] as const;
  const value = (rate: number | null) => (rate === null ? 'n/a' : rate.toFixed(4));
  const describe = (reference: ProtocolFnmr, candidate: ProtocolFnmr, difference: ProtocolDifference) =>
    protocols
      .map((protocol) => {
        const interval = difference[protocol];
        const comparison = compare(interval);
        const detail = interval === null ? '' : `; difference ${signed(interval.estimate)} [${signed(interval.low)}, ${signed(interval.high)}]`;
        return `${protocol} ${value(reference[protocol])} → ${value(candidate[protocol])} (${comparison}${detail})`;
      })
      .join('; ');

  const teacher = protocols.map((protocol) => compare(differences.teacherVsPlain[protocol])).filter((c) => c !== 'not measurable');
  const teacherText = `FNMR@FMR=${falseMatchRate} plain student → teacher: ${describe(models.plain, models.teacher, differences.teacherVsPlain)}`;
  const teacherSentence =
    teacher.length === 0
      ? `The teacher could not be compared with the plain student (${teacherText}).`
      : teacher.every((c) => c === 'better')
        ? `The teacher is clearly stronger than the plain student (${teacherText}).`
        : teacher.every((c) => c === 'worse')
          ? `The teacher is weaker than the plain student here (${teacherText}): distilling towards it cannot be expected to help.`
          : `The teacher is not clearly stronger than the plain student (${teacherText}).`;

  const student = protocols.map((protocol) => ({ protocol, comparison: compare(differences.distilledVsPlain[protocol]) })).filter(({ comparison }) => comparison !== 'not measurable');
  const better = student.filter(({ comparison }) => comparison === 'better').map(({ protocol }) => protocol);
  const worse = student.filter(({ comparison }) => comparison === 'worse').map(({ protocol }) => protocol);
  let headline: string;
  if (student.length === 0) headline = 'Distillation could not be judged (FNMR not measurable)';
  else if (better.length === student.length) headline = 'Distillation helped the student on this run';
  else if (better.length > 0 && worse.length > 0) headline = `Distillation gave mixed results on this run (better on ${better.join(', ')}, worse on ${worse.join(', ')})`;
  else if (better.length > 0) headline = `Distillation helped the student on ${better.join(', ')} faces only on this run`;
  else if (worse.length > 0) headline = 'Distillation made the student worse on this run';
  else headline = 'Distillation did not clearly help at this scale';
  return `${teacherSentence} ${headline}: FNMR@FMR=${falseMatchRate} plain → distilled: ${describe(models.plain, models.distilled, differences.distilledVsPlain)}.`;
}
