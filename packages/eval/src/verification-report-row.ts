import { assertArgument } from '@bigface/backend';
import type { VerificationPairsReport } from './evaluate-verification-pairs';
import { trueAcceptRatesOnRoc } from './operating-points';
import type { VerificationReportRow } from './verification-report-table';

/** Options of {@link verificationReportRow}. */
export interface VerificationReportRowOptions {
  /** The FMR of the table; default 1e-4. */
  falseMatchRate?: number;
}

/**
 * One model's row of the Table-2 report from its per-protocol results: FNMR@FMR on the `masked`
 * protocol (MFR) and on the `standard` one (SFR), read off each report's ROC. A protocol that was
 * not evaluated, or has too few impostor pairs for the FMR, becomes a sentence saying so.
 *
 * @example
 * const { protocols } = await evaluateVerificationBin(embed, 'lfw.bin', { protocols: ['standard', 'masked'] });
 * console.log(verificationReportTable([verificationReportRow('r50', protocols)]));
 */
export function verificationReportRow(
  model: string,
  reports: { masked?: VerificationPairsReport; standard?: VerificationPairsReport },
  options: VerificationReportRowOptions = {},
): VerificationReportRow {
  const { falseMatchRate = 1e-4 } = options;
  assertArgument(
    falseMatchRate > 0 && falseMatchRate < 1,
    'EVAL_BAD_REPORT',
    () => `verificationReportRow: falseMatchRate must be in (0, 1), got ${falseMatchRate}`,
  );
  const cell = (protocol: 'masked' | 'standard') => {
    const report = reports[protocol];
    if (report === undefined) return `the ${protocol} protocol was not evaluated for ${model}`;
    const [point] = trueAcceptRatesOnRoc(report.roc, [falseMatchRate]);
    return typeof point!.value === 'number' ? { ...point!, value: 1 - point!.value } : point!;
  };
  return { model, masked: cell('masked'), standard: cell('standard') };
}
