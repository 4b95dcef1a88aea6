import { describe, expect, it } from 'vitest';
import type { VerificationPairsReport } from './evaluate-verification-pairs';
import { rocCurve } from './roc-curve';
import { verificationReportRow } from './verification-report-row';

/** Only the ROC matters to verificationReportRow. */
const reportOf = (scores: number[], issame: boolean[]): VerificationPairsReport => ({ roc: rocCurve(scores, issame) }) as VerificationPairsReport;

describe('verificationReportRow', () => {
  it('reads FNMR at the table FMR off each protocol (hand-computed)', () => {
    // 10 impostors 0.0 … 0.9; genuine 0.95, 0.85, 0.5. FMR 0.1 allows one impostor: threshold 0.85 accepts
    // 2 of 3 genuine pairs → FNMR 1/3. Standard: genuine 0.95, 0.92, 0.91; the lowest threshold
    // with FAR ≤ 0.1 is 0.9 (accepts impostor 0.9 only, FAR 0.1) and accepts all 3 genuine → FNMR 0.
    const impostors = Array.from({ length: 10 }, (_, k) => k / 10);
    const issame = [...Array(10).fill(false), true, true, true];
    const masked = reportOf([...impostors, 0.95, 0.85, 0.5], issame);
    const standard = reportOf([...impostors, 0.95, 0.92, 0.91], issame);
    const row = verificationReportRow('r18', { masked, standard }, { falseMatchRate: 0.1 });
    expect(row.model).toBe('r18');
    expect(row.masked).toMatchObject({ threshold: 0.85, measuredFalseMatchRate: 0.1 });
    expect((row.masked as { value: number }).value).toBeCloseTo(1 / 3, 15);
    expect(row.standard).toMatchObject({ value: 0, threshold: 0.9, measuredFalseMatchRate: 0.1 });
  });

  it('says which protocol was not evaluated', () => {
    const row = verificationReportRow('r18', { standard: reportOf([0.9, 0.1], [true, false]) }, { falseMatchRate: 0.5 });
    expect(row.masked).toBe('the masked protocol was not evaluated for r18');
  });
});
