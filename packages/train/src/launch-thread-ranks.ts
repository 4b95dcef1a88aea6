import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BigFaceError, launchRanks } from '@bigface/backend';
import { ThreadController } from './rank-events';
import type { RankArguments } from './run-rank';
import type { TrainEvent, TrainResult } from './train-events';

function rankModule(): URL {
  for (const candidate of ['./rank-entry.js', '../dist/rank-entry.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new BigFaceError(
    'TRAIN_NOT_BUILT',
    `train: the rank entry rank-entry.js is neither next to ${import.meta.url} nor in ../dist; build @bigface/train (pnpm build)`,
  );
}

/**
 * Runs the W ranks of a training run as worker threads of this process (launchRanks, a
 * ThreadCommunicator between them) and resolves with rank 0's result once its last event has been
 * delivered. `signal` asks every rank to stop at its next step boundary. A failing rank rejects
 * with launchRanks' RANK_FAILED naming it.
 */
export async function launchThreadRanks(
  args: Omit<RankArguments, 'link'>,
  options: { worldSize: number; onEvent: (event: TrainEvent) => void; signal?: AbortSignal },
): Promise<TrainResult> {
  const controller = new ThreadController(`bigface-train-${process.pid}-${randomBytes(6).toString('hex')}`, options.onEvent);
  const onAbort = () => controller.stop();
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) onAbort();
  try {
    const results = await launchRanks<TrainResult, RankArguments>({
      worldSize: options.worldSize,
      module: rankModule(),
      args: { ...args, link: controller.args },
    });
    // Rank 0 posted 'done' before it returned: wait until every event before it has arrived.
    await controller.allDelivered();
    return results[0]!;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    controller.close();
  }
}
