// The worker-thread entry of launchRanks (built to dist/rank-worker.js): makes this rank's
// ThreadCommunicator, imports the user's module, calls its rank function and posts back the result
// or the error. Not imported by anything; launchRanks starts it with `new Worker(url, { workerData })`.
import { parentPort, workerData } from 'node:worker_threads';
import { BigFaceError } from './errors';
import { ThreadCommunicator, type ThreadCommunicatorMemory } from './thread-communicator';

/** What launchRanks hands each worker. @internal */
export interface RankWorkerData {
  memory: ThreadCommunicatorMemory;
  rank: number;
  moduleUrl: string;
  exportName: string;
  args: unknown;
  timeoutMs: number;
}

/** An error as it crosses the thread boundary (structured clone drops `code` and subclasses). @internal */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, stack: error.stack, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: `non-Error value thrown: ${String(error)}` };
}

async function main(): Promise<void> {
  const data = workerData as RankWorkerData;
  let communicator: ThreadCommunicator | undefined;
  try {
    communicator = new ThreadCommunicator(data.memory, data.rank, { timeoutMs: data.timeoutMs });
    const imported = (await import(data.moduleUrl)) as Record<string, unknown>;
    const rankFunction = imported[data.exportName];
    if (typeof rankFunction !== 'function') {
      const functions = Object.keys(imported).filter((key) => typeof imported[key] === 'function');
      throw new BigFaceError(
        'RANK_FUNCTION_NOT_FOUND',
        `launchRanks: ${data.moduleUrl} has no exported function '${data.exportName}'` +
          ` (exported functions: ${functions.length > 0 ? functions.join(', ') : 'none'}); set exportName or export it`,
      );
    }
    const value = await (rankFunction as (communicator: ThreadCommunicator, args: unknown) => unknown)(communicator, data.args);
    communicator.markReturned();
    try {
      parentPort!.postMessage({ type: 'result', value });
    } catch (error) {
      throw new BigFaceError(
        'RANK_RESULT_NOT_CLONEABLE',
        `launchRanks: the rank function's return value cannot be sent to the main thread (${(error as Error).message}); ` +
          'return plain data: numbers, strings, arrays, plain objects, typed arrays',
      );
    }
  } catch (error) {
    // Wake the other ranks first, so that their blocked collectives throw now rather than at the watchdog.
    if (communicator) communicator.abort();
    parentPort!.postMessage({ type: 'error', error: serializeError(error) });
  }
}

void main();
