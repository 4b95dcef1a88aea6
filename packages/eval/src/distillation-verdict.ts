import { assertArgument } from '@bigface/backend';

/** An FNMR difference (candidate − reference) with its 95 % interval; null where it could not be measured. */
export type FnmrDifference = { estimate: number; low: number; high: number } | null;

/** The two verification protocols of a difference. */
export interface ProtocolDifference {
  masked: FnmrDifference;
  standard: FnmrDifference;
}

/** A candidate against a reference on one protocol: FNMR lower (better) or higher (worse) only when the whole interval says so. */
export type IntervalComparison = 'better' | 'worse' | 'within noise' | 'not measurable';

/** What {@link distillationVerdict} decides about a teacher, a plain student and a distilled student. */
export interface DistillationVerdict {
  /** Teacher against the plain student, per protocol. */
  teacherVsPlain: { masked: IntervalComparison; standard: IntervalComparison };
  /** Distilled against the plain student, per protocol. */
  distilledVsPlain: { masked: IntervalComparison; standard: IntervalComparison };
  /** `stronger` / `weaker` only when every measurable protocol says so. */
  teacher: 'stronger' | 'weaker' | 'not clearly stronger' | 'not measurable';
  /**
   * `helped` (better on every measurable protocol), `helped on some` (better on some, worse on none),
   * `mixed` (better on some, worse on others), `worse` (worse on some, better on none),
   * `within noise` (no interval excludes zero), `not measurable`.
   */
  distillation: 'helped' | 'helped on some' | 'mixed' | 'worse' | 'within noise' | 'not measurable';
  /** Protocols where the distilled student is better / worse than the plain one. */
  betterOn: ('masked' | 'standard')[];
  worseOn: ('masked' | 'standard')[];
}

const PROTOCOLS = ['masked', 'standard'] as const;

/** Better only when the whole interval of candidate − reference is below 0, worse when it is above. */
export function compareFnmrDifference(difference: FnmrDifference): IntervalComparison {
  if (difference === null) return 'not measurable';
  assertArgument(
    Number.isFinite(difference.low) && Number.isFinite(difference.high) && difference.low <= difference.high,
    'EVAL_BAD_BOOTSTRAP',
    () => `compareFnmrDifference: the interval [${difference.low}, ${difference.high}] is not a finite interval`,
  );
  return difference.high < 0 ? 'better' : difference.low > 0 ? 'worse' : 'within noise';
}

/**
 * The verdict on a distillation run from paired FNMR differences (each a bootstrap interval over
 * held-out identities, e.g. from {@link bootstrapFalseNonMatchRates}): is the teacher stronger than
 * the plain student, and is the distilled student better than the plain one, per protocol. A
 * difference counts only when its interval excludes zero; an interval touching zero is noise.
 * Distilling towards a teacher that is not stronger cannot be expected to help, so reports should
 * state the teacher's verdict first.
 *
 * @example
 * const verdict = distillationVerdict({
 *   teacherVsPlain: { masked: { estimate: -0.12, low: -0.18, high: -0.06 }, standard },
 *   distilledVsPlain: { masked, standard },
 * });
 * verdict.teacher;      // 'stronger'
 * verdict.distillation; // 'helped on some', verdict.betterOn = ['masked']
 */
export function distillationVerdict(differences: { teacherVsPlain: ProtocolDifference; distilledVsPlain: ProtocolDifference }): DistillationVerdict {
  const compareAll = (difference: ProtocolDifference) => ({
    masked: compareFnmrDifference(difference.masked),
    standard: compareFnmrDifference(difference.standard),
  });
  const teacherVsPlain = compareAll(differences.teacherVsPlain);
  const distilledVsPlain = compareAll(differences.distilledVsPlain);

  const teacherMeasured = PROTOCOLS.map((protocol) => teacherVsPlain[protocol]).filter((comparison) => comparison !== 'not measurable');
  const teacher: DistillationVerdict['teacher'] =
    teacherMeasured.length === 0
      ? 'not measurable'
      : teacherMeasured.every((comparison) => comparison === 'better')
        ? 'stronger'
        : teacherMeasured.every((comparison) => comparison === 'worse')
          ? 'weaker'
          : 'not clearly stronger';

  const measured = PROTOCOLS.filter((protocol) => distilledVsPlain[protocol] !== 'not measurable');
  const betterOn = measured.filter((protocol) => distilledVsPlain[protocol] === 'better');
  const worseOn = measured.filter((protocol) => distilledVsPlain[protocol] === 'worse');
  let distillation: DistillationVerdict['distillation'];
  if (measured.length === 0) distillation = 'not measurable';
  else if (betterOn.length === measured.length) distillation = 'helped';
  else if (betterOn.length > 0 && worseOn.length > 0) distillation = 'mixed';
  else if (betterOn.length > 0) distillation = 'helped on some';
  else if (worseOn.length > 0) distillation = 'worse';
  else distillation = 'within noise';
  return { teacherVsPlain, distilledVsPlain, teacher, distillation, betterOn, worseOn };
}
