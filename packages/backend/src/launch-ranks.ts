import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Communicator } from './communicator';
import { BigFaceError, assertArgument } from './errors';
import type { RankWorkerData, SerializedError } from './rank-worker';
import { DEFAULT_TIMEOUT_MS, ThreadCommunicator, abortGroup, abortedBy } from './thread-communicator';

/** The function each rank runs: exported by the module given to {@link launchRanks}. */
export type RankFunction<Args = unknown, Result = unknown> = (communicator: Communicator, args: Args) => Result | Promise<Result>;

/** Options of {@link launchRanks}. */
export interface LaunchRanksOptions<Args = unknown> {
  /** Number of ranks (worker threads), >= 1. */
  worldSize: number;
  /** The ES module that exports the rank function: a path (relative to the working directory) or a `file:` URL. */
  module: string | URL;
  /** Name of the rank function's export (default `'default'`). */
  exportName?: string;
  /** Passed to every rank function; must survive structured clone (a SharedArrayBuffer in it is shared). */
  args?: Args;
  /** Bytes of each rank's slot in the shared data arena (default 4 MiB); larger payloads are chunked. */
  slotBytes?: number;
  /** A collective that waits longer than this throws COLLECTIVE_TIMEOUT (default 600 000 ms = 10 min). */
  timeoutMs?: number;
}

/** After every rank has returned, workers still running (open handles) are terminated after this grace. */
const EXIT_GRACE_MS = 1000;
/** How long to wait for the failing rank's own error after another rank reported being aborted by it. */
const ORIGIN_GRACE_MS = 2000;

function resolveWorkerUrl(): URL {
  // From dist (ESM, or CJS through tsup's import.meta.url shim) the worker sits beside this
  // module; from src (vitest) it is the built one in ../dist.
  const here = import.meta.url;
  for (const candidate of ['./rank-worker.js', '../dist/rank-worker.js']) {
    const url = new URL(candidate, here);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new BigFaceError(
    'RANK_WORKER_NOT_BUILT',
    `launchRanks: its worker entry rank-worker.js is neither next to ${here} nor in ../dist; build @bigface/backend first (pnpm build)`,
  );
}

function resolveModuleUrl(module: string | URL): string {
  let url: URL;
  if (module instanceof URL) url = module;
  // A URL scheme of two or more letters (one letter is a Windows drive: C:\rank.mjs).
  else if (/^[a-z][a-z0-9+.-]+:/i.test(module)) url = new URL(module);
  else url = pathToFileURL(resolvePath(module));
  assertArgument(url.protocol === 'file:', 'INVALID_RANK_MODULE', () => `launchRanks: module must be a file path or a file: URL, got ${String(module)}`);
  assertArgument(
    existsSync(fileURLToPath(url)),
    'RANK_MODULE_NOT_FOUND',
    () => `launchRanks: module ${fileURLToPath(url)} does not exist; pass the path of an ES module that exports the rank function`,
  );
  return url.href;
}

function reviveError(serialized: SerializedError): Error {
  const error =
    serialized.name === 'BigFaceError' && serialized.code !== undefined
      ? new BigFaceError(serialized.code, serialized.message)
      : Object.assign(new Error(serialized.message), serialized.code !== undefined ? { code: serialized.code } : {});
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}

/**
 * Runs a rank function on `worldSize` ranks, each in its own worker thread, connected by a
 * {@link ThreadCommunicator}; resolves with the ranks' return values in rank order (copied by
 * structured clone). Every worker imports `module` and calls its `exportName` export as
 * `fn(communicator, args)` (it may be async). The worker entry is `dist/rank-worker.js` of this
 * package, so the package must be built (it is, when installed from npm).
 *
 * Failures never hang: when a rank throws, every other rank's blocked collective throws
 * COLLECTIVE_ABORTED at once, the workers are terminated, and the promise rejects with
 * BigFaceError `RANK_FAILED` naming the rank (also as its `rank` property), with its original error (message, stack, code) as
 * `cause`. A worker that exits or crashes without returning does the same, and a collective that
 * waits more than `timeoutMs` throws COLLECTIVE_TIMEOUT naming the ranks that did not arrive.
 *
 * @example
 * // rank.mjs
 * export default function rank(communicator, { seed }) {
 *   const mine = Float32Array.of(seed + communicator.rank);
 *   return communicator.allReduce(mine, 'sum')[0];
 * }
 * // main.mjs
 * import { launchRanks } from '@bigface/backend';
 * const sums = await launchRanks({ worldSize: 2, module: new URL('./rank.mjs', import.meta.url), args: { seed: 1 } });
 * // sums = [3, 3]
 */
export async function launchRanks<Result = unknown, Args = unknown>(options: LaunchRanksOptions<Args>): Promise<Result[]> {
  assertArgument(typeof options === 'object' && options !== null, 'INVALID_OPTIONS', () => 'launchRanks: pass an options object { worldSize, module }');
  const { worldSize, module, exportName = 'default', args, slotBytes, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  assertArgument(
    Number.isInteger(worldSize) && worldSize >= 1,
    'INVALID_WORLD_SIZE',
    () => `launchRanks: worldSize must be an integer >= 1, got ${String(worldSize)}`,
  );
  assertArgument(
    typeof module === 'string' || module instanceof URL,
    'INVALID_RANK_MODULE',
    () => `launchRanks: module must be a file path or a file: URL of an ES module, got ${String(module)}`,
  );
  assertArgument(
    typeof exportName === 'string' && exportName.length > 0,
    'INVALID_EXPORT_NAME',
    () => `launchRanks: exportName must be a non-empty string, got ${String(exportName)}`,
  );
  assertArgument(
    typeof timeoutMs === 'number' && timeoutMs > 0,
    'INVALID_TIMEOUT',
    () => `launchRanks: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`,
  );
  const moduleUrl = resolveModuleUrl(module);
  const workerUrl = resolveWorkerUrl();
  const memory = ThreadCommunicator.allocate(worldSize, slotBytes === undefined ? {} : { slotBytes });

  return new Promise<Result[]>((resolve, reject) => {
    const workers: Worker[] = [];
    const results = new Array<Result>(worldSize);
    const returned = new Array<boolean>(worldSize).fill(false);
    const reported = new Array<boolean>(worldSize).fill(false);
    const exited = new Array<boolean>(worldSize).fill(false);
    let pending = worldSize;
    let settled = false;
    let originTimer: NodeJS.Timeout | undefined;

    const terminateAll = () => {
      workers.forEach((worker, rank) => {
        if (!exited[rank]) void worker.terminate().catch(() => undefined);
      });
    };
    const fail = (rank: number, cause: Error, what: string) => {
      if (settled) return;
      settled = true;
      if (originTimer) clearTimeout(originTimer);
      abortGroup(memory, rank);
      terminateAll();
      reject(Object.assign(new BigFaceError('RANK_FAILED', `launchRanks: rank ${rank} of ${worldSize} ${what}: ${cause.message}`, { cause }), { rank }));
    };

    for (let rank = 0; rank < worldSize; rank++) {
      const workerData: RankWorkerData = { memory, rank, moduleUrl, exportName, args, timeoutMs };
      let worker: Worker;
      try {
        worker = new Worker(workerUrl, { workerData });
      } catch (error) {
        const cause = error as Error;
        if (cause.name !== 'DataCloneError') {
          fail(rank, cause, 'could not start');
          return;
        }
        settled = true;
        abortGroup(memory, rank);
        terminateAll();
        reject(
          new BigFaceError(
            'RANK_ARGUMENTS_NOT_CLONEABLE',
            `launchRanks: args cannot be sent to the workers (${cause.message}); pass plain data: numbers, strings, arrays, plain objects, typed arrays, SharedArrayBuffers`,
            { cause },
          ),
        );
        return;
      }
      workers.push(worker);
      worker.on('message', (message: { type: 'result'; value: Result } | { type: 'error'; error: SerializedError }) => {
        if (settled) return;
        if (message.type === 'result') {
          results[rank] = message.value;
          returned[rank] = true;
          if (--pending === 0) {
            settled = true;
            resolve(results);
            setTimeout(terminateAll, EXIT_GRACE_MS).unref();
          }
          return;
        }
        reported[rank] = true;
        const cause = reviveError(message.error);
        const origin = abortedBy(memory);
        if ((cause as { code?: string }).code === 'COLLECTIVE_ABORTED' && origin >= 0 && origin !== rank) {
          // A consequence of another rank's failure: wait for that rank's own error.
          originTimer ??= setTimeout(() => fail(rank, cause, 'was aborted'), ORIGIN_GRACE_MS);
          return;
        }
        fail(rank, cause, 'failed');
      });
      worker.on('error', (error) => {
        reported[rank] = true;
        fail(rank, error, 'crashed');
      });
      worker.on('exit', (code) => {
        exited[rank] = true;
        if (!returned[rank] && !reported[rank]) {
          fail(rank, new Error(`the worker exited with code ${code} before the rank function returned`), 'exited');
        }
      });
    }
  });
}
