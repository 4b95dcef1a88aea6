import { describe, expect, it } from 'vitest';
import { distillationVerdict } from './distillation-verdict';

describe('distillationVerdict', () => {
  const teacher = { masked: 0.2, standard: 0.1 };
  it('calls a difference beyond two standard errors better or worse', () => {
    // 300 genuine pairs: se(0.35) = sqrt(0.35·0.65/300) = 0.02754, se(0.54) = sqrt(0.54·0.46/300) = 0.02877;
    // noise = 2·hypot = 2·0.03983 = 0.0797 < 0.19 → worse.
    const text = distillationVerdict({ teacher: { masked: 0.77, standard: 0.49 }, plain: { masked: 0.35, standard: 0.28 }, distilled: { masked: 0.54, standard: 0.36 } }, { falseMatchRate: 0.01, genuinePairs: 300 });
    expect(text).toMatch(/^Distillation made the student worse on this run: masked FNMR@FMR=0\.01 0\.3500 → 0\.5400 \(worse; noise ±0\.080\)/);
    expect(text).toContain('The teacher is weaker than the plain student here');
    const helped = distillationVerdict({ teacher, plain: { masked: 0.5, standard: 0.4 }, distilled: { masked: 0.3, standard: 0.2 } }, { falseMatchRate: 0.01, genuinePairs: 300 });
    expect(helped).toMatch(/^Distillation helped the student on this run/);
    expect(helped).toContain('The teacher is stronger than the plain student');
  });

  it('names the protocol when only one improved beyond noise, and calls opposite moves mixed', () => {
    // The demo's run of 2026-11-29: masked 0.3833 → 0.2300 is beyond noise (±0.074), standard
    // 0.2067 → 0.1567 is not (±0.063).
    const masked = distillationVerdict({ teacher, plain: { masked: 0.3833, standard: 0.2067 }, distilled: { masked: 0.23, standard: 0.1567 } }, { falseMatchRate: 0.01, genuinePairs: 300 });
    expect(masked).toMatch(/^Distillation helped the student on masked faces only on this run: masked FNMR@FMR=0\.01 0\.3833 → 0\.2300 \(better; noise ±0\.074\); standard FNMR@FMR=0\.01 0\.2067 → 0\.1567 \(within noise; noise ±0\.063\)/);
    const mixed = distillationVerdict({ teacher, plain: { masked: 0.5, standard: 0.1 }, distilled: { masked: 0.3, standard: 0.3 } }, { falseMatchRate: 0.01, genuinePairs: 300 });
    expect(mixed).toMatch(/^Distillation gave mixed results on this run \(better on masked, worse on standard\)/);
  });

  it('says "within noise" for small differences and handles unmeasurable cells', () => {
    const text = distillationVerdict({ teacher, plain: { masked: 0.35, standard: null }, distilled: { masked: 0.36, standard: null } }, { falseMatchRate: 0.1, genuinePairs: 300 });
    expect(text).toMatch(/^Distillation did not clearly help at this scale: masked .* \(within noise; .*standard FNMR@FMR=0\.1 n\/a → n\/a \(not measurable\)/);
  });
});
