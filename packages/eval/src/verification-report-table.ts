import { assertArgument } from '@bigface/backend';
import type { OperatingPoint } from './operating-points';

/** One model's row: FNMR at the table's FMR on the masked and standard protocols. */
export interface VerificationReportRow {
  model: string;
  /** FNMR (a number), an {@link OperatingPoint}, or the reason it could not be measured. */
  masked: number | string | OperatingPoint;
  standard: number | string | OperatingPoint;
}

/** Options of {@link verificationReportTable}. */
export interface VerificationReportTableOptions {
  /** The FMR of the columns, shown in their headers; default 1e-4. */
  falseMatchRate?: number;
  /** Decimals of the rates; default 4. */
  digits?: number;
}

/**
 * A markdown table in the layout of the BigFace deck's Table 2: one row per model, columns FNMR@FMR
 * on the masked and on the standard protocol (lower is better). A value that could not be measured
 * (too few impostors) shows as "n/a" with its reason in a numbered note under the table.
 *
 * @example
 * verificationReportTable([
 *   { model: 'ResNet240', masked: 0.0803, standard: 0.0235 },
 *   { model: 'ResNet240 + distill', masked: 0.0769, standard: 0.0241 },
 * ]);
 */
export function verificationReportTable(rows: readonly VerificationReportRow[], options: VerificationReportTableOptions = {}): string {
  const { falseMatchRate = 1e-4, digits = 4 } = options;
  assertArgument(rows.length > 0, 'EVAL_BAD_REPORT', () => 'verificationReportTable: no rows');
  const notes: string[] = [];
  const cell = (value: number | string | OperatingPoint): string => {
    const resolved = typeof value === 'object' ? value.value : value;
    if (typeof resolved === 'number') return resolved.toFixed(digits);
    notes.push(resolved);
    return `n/a [${notes.length}]`;
  };
  const escapeCell = (text: string): string => text.replace(/\|/g, '\\|');
  const fmr = falseMatchRate.toExponential();
  const lines = [`| Model | FNMR@FMR=${fmr} (masked) | FNMR@FMR=${fmr} (standard) |`, '|---|---:|---:|'];
  for (const row of rows) lines.push(`| ${escapeCell(row.model)} | ${cell(row.masked)} | ${cell(row.standard)} |`);
  if (notes.length > 0) lines.push('', ...notes.map((note, index) => `[${index + 1}] ${escapeCell(note)}`));
  return `${lines.join('\n')}\n`;
}
