import { assertArgument } from '@bigface/backend';
import type { BootstrapInterval } from './bootstrap-over-identities';

/** What {@link claimVerdict} decides about one claim. */
export interface ClaimVerdict {
  /** Shown only when the whole interval lies on the claimed side of zero. */
  shown: boolean;
  /** `shown`; `not shown` (the interval contains 0); or `opposite` (it excludes 0 on the other side: also not shown). */
  status: 'shown' | 'not shown' | 'opposite';
}

/**
 * The verdict on a claimed effect from its interval: a claim that a contrast is `lower` (below 0,
 * e.g. FNMR(bigger) − FNMR(smaller)) or `higher` than zero is shown only when the interval excludes
 * zero on that side. Nothing else enters the verdict: not the point estimate, not a margin.
 *
 * @example
 * claimVerdict({ ...interval, low: -0.08, high: -0.01 }, 'lower'); // { shown: true, status: 'shown' }
 * claimVerdict({ ...interval, low: -0.08, high: 0.02 }, 'lower');  // { shown: false, status: 'not shown' }
 */
export function claimVerdict(interval: Pick<BootstrapInterval, 'low' | 'high'>, claimed: 'lower' | 'higher'): ClaimVerdict {
  assertArgument(
    claimed === 'lower' || claimed === 'higher',
    'EVAL_BAD_BOOTSTRAP',
    () => `claimVerdict: claimed must be 'lower' or 'higher', got '${String(claimed)}'`,
  );
  assertArgument(
    Number.isFinite(interval.low) && Number.isFinite(interval.high) && interval.low <= interval.high,
    'EVAL_BAD_BOOTSTRAP',
    () => `claimVerdict: the interval [${interval.low}, ${interval.high}] is not a finite interval`,
  );
  const below = interval.high < 0;
  const above = interval.low > 0;
  if (claimed === 'lower' ? below : above) return { shown: true, status: 'shown' };
  return { shown: false, status: (claimed === 'lower' ? above : below) ? 'opposite' : 'not shown' };
}
