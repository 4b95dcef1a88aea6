import type { BootstrapInterval, ClaimVerdict, ScoredPairs } from '@bigface/eval';
import { DECK_CLAIMS, type ClaimRow, type DeckClaim } from './replicate-plan';

/** An interval as the report shows it. */
export interface IntervalSummary {
  estimate: number;
  low: number;
  high: number;
}

/** One model (arm) on one protocol: FNMR@FMR with its interval over identities, per FMR. */
export interface ArmProtocolResult {
  arm: string;
  protocol: 'masked' | 'standard';
  falseNonMatchRate: { falseMatchRate: number; interval: IntervalSummary }[];
}

/** One row of the claims table at each FMR. */
export interface ClaimRowResult {
  claim: DeckClaim['number'];
  label: string;
  claimed?: 'lower';
  perFalseMatchRate: { falseMatchRate: number; interval: IntervalSummary; verdict?: ClaimVerdict }[];
}

const summary = (interval: BootstrapInterval): IntervalSummary => ({ estimate: interval.estimate, low: interval.low, high: interval.high });

/**
 * Every number of the replication report, from the per-seed scored pairs (one stratum per seed,
 * scores named `arm/protocol`): each arm's FNMR@FMR with a bootstrap interval over identities, and
 * each claim row's paired contrast with its interval and verdict — all read off one shared
 * resampling of identities by @bigface/eval.
 */
export async function replicateStatistics(
  sets: readonly ScoredPairs[],
  options: { arms: readonly string[]; falseMatchRates: readonly number[]; replicates: number; seed: number; claims?: readonly DeckClaim[] },
): Promise<{ arms: ArmProtocolResult[]; claims: ClaimRowResult[] }> {
  const { bootstrapFalseNonMatchRates, claimVerdict } = await import('@bigface/eval');
  const { falseMatchRates, replicates, seed } = options;
  const boot = bootstrapFalseNonMatchRates(sets, { falseMatchRates, replicates, seed });
  const arms: ArmProtocolResult[] = options.arms.flatMap((arm) =>
    (['masked', 'standard'] as const).map((protocol) => ({
      arm,
      protocol,
      falseNonMatchRate: falseMatchRates.map((falseMatchRate) => ({
        falseMatchRate,
        interval: summary(boot.interval({ [`${arm}/${protocol}`]: 1 }, falseMatchRate)),
      })),
    })),
  );
  const available = new Set(boot.names);
  const claims: ClaimRowResult[] = (options.claims ?? DECK_CLAIMS).flatMap((claim) =>
    claim.rows
      .filter((row: ClaimRow) => Object.keys(row.contrast).every((name) => available.has(name)))
      .map((row) => ({
        claim: claim.number,
        label: row.label,
        ...(row.claimed ? { claimed: row.claimed } : {}),
        perFalseMatchRate: falseMatchRates.map((falseMatchRate) => {
          const result = boot.interval(row.contrast, falseMatchRate);
          return { falseMatchRate, interval: summary(result), ...(row.claimed ? { verdict: claimVerdict(result, row.claimed) } : {}) };
        }),
      })),
  );
  return { arms, claims };
}
