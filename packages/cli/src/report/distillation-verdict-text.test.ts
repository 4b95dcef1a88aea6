import { describe, expect, it } from 'vitest';
import { distillationVerdict, type ProtocolDifference } from '@bigface/eval';
import { distillationVerdictText, type ProtocolFnmr } from './distillation-verdict-text';

// The decisions are @bigface/eval's (tested there); these check the sentences written from them.
function verdictText(
  models: { teacher: ProtocolFnmr; plain: ProtocolFnmr; distilled: ProtocolFnmr },
  differences: { teacherVsPlain: ProtocolDifference; distilledVsPlain: ProtocolDifference },
  options: { falseMatchRate: number },
): string {
  return distillationVerdictText({ models, differences, verdict: distillationVerdict(differences), falseMatchRate: options.falseMatchRate });
}

const interval = (estimate: number, low: number, high: number) => ({ estimate, low, high });

describe('distillationVerdictText', () => {
  const teacher = { masked: 0.2, standard: 0.1 };
  const plain = { masked: 0.5, standard: 0.4 };
  const stronger: ProtocolDifference = { masked: interval(-0.3, -0.36, -0.22), standard: interval(-0.3, -0.35, -0.2) };

  it('calls a difference better or worse only when its interval excludes zero', () => {
    const helped = verdictText(
      { teacher, plain, distilled: { masked: 0.3, standard: 0.2 } },
      { teacherVsPlain: stronger, distilledVsPlain: { masked: interval(-0.2, -0.26, -0.12), standard: interval(-0.2, -0.25, -0.14) } },
      { falseMatchRate: 0.001 },
    );
    expect(helped).toMatch(
      /^The teacher is clearly stronger than the plain student \(FNMR@FMR=0\.001 plain student → teacher: masked 0\.5000 → 0\.2000 \(better; difference -0\.300 \[-0\.360, -0\.220\]\)/,
    );
    expect(helped).toContain(
      'Distillation helped the student on this run: FNMR@FMR=0.001 plain → distilled: masked 0.5000 → 0.3000 (better; difference -0.200 [-0.260, -0.120])',
    );
    const worse = verdictText(
      { teacher: { masked: 0.7, standard: 0.6 }, plain, distilled: { masked: 0.6, standard: 0.5 } },
      {
        teacherVsPlain: { masked: interval(0.2, 0.1, 0.3), standard: interval(0.2, 0.05, 0.31) },
        distilledVsPlain: { masked: interval(0.1, 0.02, 0.2), standard: interval(0.1, 0.01, 0.2) },
      },
      { falseMatchRate: 0.01 },
    );
    expect(worse).toMatch(
      /^The teacher is weaker than the plain student here .*: distilling towards it cannot be expected to help\. Distillation made the student worse on this run/,
    );
  });

  it('names the protocol when only one moved beyond noise, and calls opposite moves mixed', () => {
    // An interval touching zero is within noise: [-0.1, 0] does not exclude it.
    const masked = verdictText(
      { teacher, plain, distilled: { masked: 0.3833, standard: 0.1567 } },
      {
        teacherVsPlain: { masked: interval(-0.1, -0.2, -0.01), standard: interval(-0.05, -0.1, 0) },
        distilledVsPlain: { masked: interval(-0.15, -0.22, -0.08), standard: interval(-0.05, -0.1, 0.01) },
      },
      { falseMatchRate: 0.01 },
    );
    expect(masked).toMatch(/^The teacher is not clearly stronger than the plain student/);
    expect(masked).toContain('Distillation helped the student on masked faces only on this run');
    expect(masked).toContain('standard 0.4000 → 0.1567 (within noise; difference -0.050 [-0.100, +0.010])');
    const mixed = verdictText(
      { teacher, plain, distilled: plain },
      { teacherVsPlain: stronger, distilledVsPlain: { masked: interval(-0.2, -0.3, -0.1), standard: interval(0.1, 0.05, 0.2) } },
      { falseMatchRate: 0.01 },
    );
    expect(mixed).toContain('Distillation gave mixed results on this run (better on masked, worse on standard)');
  });

  it('says "within noise" for intervals around zero and handles unmeasurable cells', () => {
    const text = verdictText(
      { teacher, plain: { masked: 0.35, standard: null }, distilled: { masked: 0.36, standard: null } },
      { teacherVsPlain: { masked: interval(-0.15, -0.2, -0.1), standard: null }, distilledVsPlain: { masked: interval(0.01, -0.04, 0.06), standard: null } },
      { falseMatchRate: 0.1 },
    );
    expect(text).toMatch(
      /^The teacher is clearly stronger .*Distillation did not clearly help at this scale: .*masked 0\.3500 → 0\.3600 \(within noise; difference \+0\.010 \[-0\.040, \+0\.060\]\); standard n\/a → n\/a \(not measurable\)/,
    );
  });
});
