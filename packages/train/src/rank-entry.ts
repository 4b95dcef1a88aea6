// The module every worker-thread rank imports (built to dist/rank-entry.js); train() passes it to
// launchRanks from @bigface/backend. Not part of the public API.
import type { Communicator } from '@bigface/backend';
import { threadRankLink } from './rank-events';
import { runRank, type RankArguments } from './run-rank';

export default function rank(communicator: Communicator, args: RankArguments) {
  return runRank(communicator, args, threadRankLink(args.link!, communicator.rank));
}
