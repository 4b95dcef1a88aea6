/** FNMR of one model on the two protocols (null where it could not be measured). */
export interface ProtocolFnmr {
  masked: number | null;
  standard: number | null;
}

type Comparison = 'better' | 'worse' | 'within noise' | 'not measurable';

/** Binomial standard error of an FNMR measured on `genuine` genuine pairs. */
function standardError(rate: number, genuine: number): number {
  return Math.sqrt(Math.max(rate * (1 - rate), 1 / genuine) / genuine);
}

function compare(reference: number | null, candidate: number | null, genuine: number): { comparison: Comparison; noise: number } {
  if (reference === null || candidate === null) return { comparison: 'not measurable', noise: 0 };
  // Two standard errors of the difference (treating the two measurements as independent).
  const noise = 2 * Math.hypot(standardError(reference, genuine), standardError(candidate, genuine));
  const difference = candidate - reference;
  return { comparison: Math.abs(difference) <= noise ? 'within noise' : difference < 0 ? 'better' : 'worse', noise };
}

/**
 * The demo's honest sentence about distillation: the distilled student against the plain one per
 * protocol (better / worse / within two binomial standard errors of the difference), and the teacher
 * against the plain student, since distilling towards a weaker teacher cannot be expected to help.
 *
 * @example
 * distillationVerdict({ teacher, plain, distilled }, { falseMatchRate: 0.01, genuinePairs: 300 });
 */
export function distillationVerdict(
  models: { teacher: ProtocolFnmr; plain: ProtocolFnmr; distilled: ProtocolFnmr },
  options: { falseMatchRate: number; genuinePairs: number },
): string {
  const { falseMatchRate, genuinePairs } = options;
  const protocols = ['masked', 'standard'] as const;
  const student = protocols.map((protocol) => ({ protocol, ...compare(models.plain[protocol], models.distilled[protocol], genuinePairs) }));
  const teacher = protocols.map((protocol) => ({ protocol, ...compare(models.plain[protocol], models.teacher[protocol], genuinePairs) }));
  const value = (rate: number | null) => (rate === null ? 'n/a' : rate.toFixed(4));
  const details = student
    .map(({ protocol, comparison, noise }) => `${protocol} FNMR@FMR=${falseMatchRate} ${value(models.plain[protocol])} → ${value(models.distilled[protocol])} (${comparison}${comparison === 'not measurable' ? '' : `; noise ±${noise.toFixed(3)}`})`)
    .join('; ');
  const measured = student.filter(({ comparison }) => comparison !== 'not measurable');
  let headline: string;
  if (measured.length === 0) headline = 'Distillation could not be judged (FNMR not measurable)';
  else if (measured.every(({ comparison }) => comparison === 'better')) headline = 'Distillation helped the student on this run';
  else {
    const better = measured.filter(({ comparison }) => comparison === 'better').map(({ protocol }) => protocol);
    const worse = measured.filter(({ comparison }) => comparison === 'worse').map(({ protocol }) => protocol);
    if (better.length > 0 && worse.length > 0) headline = `Distillation gave mixed results on this run (better on ${better.join(', ')}, worse on ${worse.join(', ')})`;
    else if (better.length > 0) headline = `Distillation helped the student on ${better.join(', ')} faces only on this run`;
    else if (worse.length > 0) headline = 'Distillation made the student worse on this run';
    else headline = 'Distillation did not clearly help at this scale';
  }
  const teacherMeasured = teacher.filter(({ comparison }) => comparison !== 'not measurable');
  const teacherWeaker = teacherMeasured.length > 0 && teacherMeasured.every(({ comparison }) => comparison === 'worse');
  const teacherStronger = teacherMeasured.length > 0 && teacherMeasured.every(({ comparison }) => comparison === 'better');
  const teacherText = `teacher ${value(models.teacher.masked)} masked / ${value(models.teacher.standard)} standard vs plain student ${value(models.plain.masked)} / ${value(models.plain.standard)}`;
  const teacherSentence = teacherWeaker
    ? `The teacher is weaker than the plain student here (${teacherText}): with minutes of CPU training the bigger network is less trained, and distilling towards it cannot be expected to help.`
    : teacherStronger
      ? `The teacher is stronger than the plain student (${teacherText}).`
      : `The teacher is not clearly stronger than the plain student (${teacherText}).`;
  return `${headline}: ${details}. ${teacherSentence}`;
}
