import type { DistillationVerdict, IntervalComparison, ProtocolDifference } from '@bigface/eval';

/** FNMR of one model on the two protocols (null where it could not be measured). */
export interface ProtocolFnmr {
  masked: number | null;
  standard: number | null;
}

const PROTOCOLS = ['masked', 'standard'] as const;
const signed = (value: number) => `${value > 0 ? '+' : ''}${value.toFixed(3)}`;
const value = (rate: number | null) => (rate === null ? 'n/a' : rate.toFixed(4));

function describe(
  reference: ProtocolFnmr,
  candidate: ProtocolFnmr,
  difference: ProtocolDifference,
  comparisons: Record<'masked' | 'standard', IntervalComparison>,
): string {
  return PROTOCOLS.map((protocol) => {
    const interval = difference[protocol];
    const detail = interval === null ? '' : `; difference ${signed(interval.estimate)} [${signed(interval.low)}, ${signed(interval.high)}]`;
    return `${protocol} ${value(reference[protocol])} → ${value(candidate[protocol])} (${comparisons[protocol]}${detail})`;
  }).join('; ');
}

const TEACHER_SENTENCES: Record<DistillationVerdict['teacher'], (detail: string) => string> = {
  'not measurable': (detail) => `The teacher could not be compared with the plain student (${detail}).`,
  stronger: (detail) => `The teacher is clearly stronger than the plain student (${detail}).`,
  weaker: (detail) => `The teacher is weaker than the plain student here (${detail}): distilling towards it cannot be expected to help.`,
  'not clearly stronger': (detail) => `The teacher is not clearly stronger than the plain student (${detail}).`,
};

function headline(verdict: DistillationVerdict): string {
  switch (verdict.distillation) {
    case 'not measurable':
      return 'Distillation could not be judged (FNMR not measurable)';
    case 'helped':
      return 'Distillation helped the student on this run';
    case 'mixed':
      return `Distillation gave mixed results on this run (better on ${verdict.betterOn.join(', ')}, worse on ${verdict.worseOn.join(', ')})`;
    case 'helped on some':
      return `Distillation helped the student on ${verdict.betterOn.join(', ')} faces only on this run`;
    case 'worse':
      return 'Distillation made the student worse on this run';
    case 'within noise':
      return 'Distillation did not clearly help at this scale';
  }
}

/**
 * The demo's sentences about its three models, formatted from @bigface/eval's
 * `distillationVerdict` (which decides; this only writes): the teacher against the plain student
 * first, then the distilled student against the plain one, each with the FNMR values and the
 * interval of the paired difference.
 *
 * @example
 * const differences = { teacherVsPlain, distilledVsPlain };
 * distillationVerdictText({ models: { teacher, plain, distilled }, differences, verdict: distillationVerdict(differences), falseMatchRate: 1e-3 });
 */
export function distillationVerdictText(input: {
  models: { teacher: ProtocolFnmr; plain: ProtocolFnmr; distilled: ProtocolFnmr };
  differences: { teacherVsPlain: ProtocolDifference; distilledVsPlain: ProtocolDifference };
  verdict: DistillationVerdict;
  falseMatchRate: number;
}): string {
  const { models, differences, verdict, falseMatchRate } = input;
  const teacherDetail = `FNMR@FMR=${falseMatchRate} plain student → teacher: ${describe(models.plain, models.teacher, differences.teacherVsPlain, verdict.teacherVsPlain)}`;
  return `${TEACHER_SENTENCES[verdict.teacher](teacherDetail)} ${headline(verdict)}: FNMR@FMR=${falseMatchRate} plain → distilled: ${describe(models.plain, models.distilled, differences.distilledVsPlain, verdict.distilledVsPlain)}.`;
}
