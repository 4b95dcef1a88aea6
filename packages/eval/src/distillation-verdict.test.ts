import { describe, expect, it } from 'vitest';
import { compareFnmrDifference, distillationVerdict, type ProtocolDifference } from './distillation-verdict';

const interval = (estimate: number, low: number, high: number) => ({ estimate, low, high });
const both = (masked: ProtocolDifference['masked'], standard: ProtocolDifference['standard']): ProtocolDifference => ({ masked, standard });

describe('compareFnmrDifference', () => {
  it('is better or worse only when the interval excludes zero; touching zero is noise', () => {
    expect(compareFnmrDifference(interval(-0.1, -0.2, -0.01))).toBe('better');
    expect(compareFnmrDifference(interval(0.1, 0.01, 0.2))).toBe('worse');
    expect(compareFnmrDifference(interval(-0.05, -0.1, 0))).toBe('within noise');
    expect(compareFnmrDifference(interval(0.05, 0, 0.1))).toBe('within noise');
    expect(compareFnmrDifference(null)).toBe('not measurable');
  });

  it('refuses an interval that is not one', () => {
    expect(() => compareFnmrDifference(interval(0, 0.2, -0.2))).toThrow(/compareFnmrDifference: the interval \[0\.2, -0\.2\]/);
    expect(() => compareFnmrDifference(interval(0, Number.NaN, 0.1))).toThrow(/not a finite interval/);
  });
});

describe('distillationVerdict', () => {
  const stronger = both(interval(-0.3, -0.36, -0.22), interval(-0.3, -0.35, -0.2));

  it('calls the teacher stronger or weaker only when every measurable protocol agrees', () => {
    expect(distillationVerdict({ teacherVsPlain: stronger, distilledVsPlain: stronger }).teacher).toBe('stronger');
    expect(distillationVerdict({ teacherVsPlain: both(interval(0.2, 0.1, 0.3), interval(0.2, 0.05, 0.31)), distilledVsPlain: stronger }).teacher).toBe(
      'weaker',
    );
    expect(distillationVerdict({ teacherVsPlain: both(interval(-0.1, -0.2, -0.01), interval(-0.05, -0.1, 0)), distilledVsPlain: stronger }).teacher).toBe(
      'not clearly stronger',
    );
    expect(distillationVerdict({ teacherVsPlain: both(interval(-0.1, -0.2, -0.01), null), distilledVsPlain: stronger }).teacher).toBe('stronger');
    expect(distillationVerdict({ teacherVsPlain: both(null, null), distilledVsPlain: stronger }).teacher).toBe('not measurable');
  });

  it('says on which protocols distillation helped or hurt', () => {
    const verdict = (masked: ProtocolDifference['masked'], standard: ProtocolDifference['standard']) =>
      distillationVerdict({ teacherVsPlain: stronger, distilledVsPlain: both(masked, standard) });
    expect(verdict(interval(-0.2, -0.26, -0.12), interval(-0.2, -0.25, -0.14))).toMatchObject({
      distillation: 'helped',
      betterOn: ['masked', 'standard'],
      worseOn: [],
    });
    expect(verdict(interval(-0.15, -0.22, -0.08), interval(-0.05, -0.1, 0.01))).toMatchObject({
      distillation: 'helped on some',
      betterOn: ['masked'],
      worseOn: [],
    });
    expect(verdict(interval(-0.2, -0.3, -0.1), interval(0.1, 0.05, 0.2))).toMatchObject({ distillation: 'mixed', betterOn: ['masked'], worseOn: ['standard'] });
    expect(verdict(interval(0.1, 0.02, 0.2), interval(0.1, -0.01, 0.2))).toMatchObject({ distillation: 'worse', worseOn: ['masked'] });
    expect(verdict(interval(0.01, -0.04, 0.06), null)).toMatchObject({
      distillation: 'within noise',
      distilledVsPlain: { masked: 'within noise', standard: 'not measurable' },
    });
    expect(verdict(interval(-0.2, -0.3, -0.1), null)).toMatchObject({ distillation: 'helped', betterOn: ['masked'] });
    expect(verdict(null, null).distillation).toBe('not measurable');
  });
});
