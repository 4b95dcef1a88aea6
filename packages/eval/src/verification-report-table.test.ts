import { describe, expect, it } from 'vitest';
import { verificationReportTable } from './verification-report-table';

describe('verificationReportTable', () => {
  it('lays out the deck’s Table 2 (values of the BigFace deck)', () => {
    const table = verificationReportTable([
      { model: 'ResNet240', masked: 0.0803, standard: 0.0235 },
      { model: 'ResNet240 | distilled', masked: { falseMatchRate: 1e-4, value: 0.0769, threshold: 0.3, measuredFalseMatchRate: 9e-5 }, standard: 0.0241 },
    ]);
    expect(table).toBe(
      [
        '| Model | FNMR@FMR=1e-4 (masked) | FNMR@FMR=1e-4 (standard) |',
        '|---|---:|---:|',
        '| ResNet240 | 0.0803 | 0.0235 |',
        '| ResNet240 \\| distilled | 0.0769 | 0.0241 |',
        '',
      ].join('\n'),
    );
  });

  it('puts an unmeasurable value in a note', () => {
    const reason = 'not enough impostor pairs for FMR 1e-6 (have 900, need ≥ 1000000)';
    const table = verificationReportTable([{ model: 'r18', masked: reason, standard: 0.5 }], { falseMatchRate: 1e-6, digits: 2 });
    expect(table).toContain('| r18 | n/a [1] | 0.50 |');
    expect(table).toContain(`[1] ${reason}`);
  });
});
