import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serialize } from 'node:v8';
import { BigFaceError, installedTensorflowPackage } from '@bigface/backend';
import type { TrainConfig } from './config';
import { frameReader, writeFrame, type ProcessRankMessage, type SerializedError } from './rank-events';
import type { RankArguments } from './run-rank';
import type { TrainEvent, TrainResult } from './train-events';

/** After a rank failed, how long mpirun gets to take the job down before we do (SIGTERM, then SIGKILL). */
const TAKEDOWN_GRACE_MS = 5000;
const KILL_GRACE_MS = 5000;

/** Whether `backend` resolves to libtensorflow (tfjs-node / tfjs-node-gpu), which cannot share a process between ranks. */
export function usesTensorflow(backend: TrainConfig['backend']): boolean {
  return backend === 'tensorflow' || (backend === 'auto' && installedTensorflowPackage() !== undefined);
}

/**
 * How `train` starts W ranks: `distributed.launcher`, with `auto` resolved (processes for libtensorflow,
 * whose second worker thread fails: tensorflow/tfjs#8388; threads otherwise). Refuses worker-thread
 * ranks on libtensorflow.
 */
export function resolveLauncher(config: TrainConfig): 'threads' | 'processes' {
  const { launcher, worldSize } = config.distributed;
  const tensorflow = worldSize > 1 && launcher !== 'processes' && usesTensorflow(config.backend);
  if (launcher === 'threads' && tensorflow) {
    throw new BigFaceError(
      'RANKS_NEED_PROCESSES',
      `distributed.launcher 'threads': backend ${config.backend === 'tensorflow' ? "'tensorflow'" : `'auto' resolves to ${installedTensorflowPackage()}`}, which cannot run in more than one worker thread of a process (tensorflow/tfjs#8388); ` +
        "use distributed.launcher 'processes' (bigface train --launcher processes) or 'auto'",
    );
  }
  if (launcher === 'auto') return tensorflow ? 'processes' : 'threads';
  return launcher;
}

/**
 * The CUDA device a rank process should see: the `localRank`-th of the user's `CUDA_VISIBLE_DEVICES`
 * (round robin when there are more ranks than devices), else device `localRank`; undefined when the
 * backend is not tfjs-node-gpu (nothing to choose).
 *
 * @example
 * gpuForLocalRank('auto', 1, '2,3'); // '3' (with tfjs-node-gpu installed)
 */
export function gpuForLocalRank(
  backend: TrainConfig['backend'],
  localRank: number,
  visible: string | undefined,
  installed = installedTensorflowPackage(),
): string | undefined {
  if (installed !== '@tensorflow/tfjs-node-gpu' || (backend !== 'auto' && backend !== 'tensorflow')) return undefined;
  const devices = (visible ?? '')
    .split(',')
    .map((device) => device.trim())
    .filter((device) => device !== '');
  return devices.length > 0 ? devices[localRank % devices.length] : String(localRank);
}

function rankProcessEntry(): string {
  for (const candidate of ['./rank-process.js', '../dist/rank-process.js']) {
    const file = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new BigFaceError(
    'TRAIN_NOT_BUILT',
    `train: the rank process entry rank-process.js is neither next to ${import.meta.url} nor in ../dist; build @bigface/train (pnpm build)`,
  );
}

/** mpirun (or `BIGFACE_MPIRUN`), checked; a clear error with the install line when it is missing. */
function findMpirun(): string {
  const mpirun = process.env.BIGFACE_MPIRUN?.trim() || 'mpirun';
  const probe = spawnSync(mpirun, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new BigFaceError(
      'MPIRUN_NOT_FOUND',
      `distributed.launcher 'processes' starts the ranks with OpenMPI's mpirun, and '${mpirun}' ${probe.error ? `cannot run (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message})` : `exited with ${probe.status}`}: ` +
        "install OpenMPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; then npm rebuild @bigface/mpi), set BIGFACE_MPIRUN to its path, or use distributed.launcher 'threads'",
    );
  }
  return mpirun;
}

/** @bigface/mpi with its addon built, or a clear error. */
async function checkMpiPackage(): Promise<void> {
  let module: { isMpiAvailable(): boolean };
  try {
    module = (await import('@bigface/mpi')) as unknown as typeof module;
  } catch (cause) {
    throw new BigFaceError(
      'MPI_NOT_INSTALLED',
      `distributed.launcher 'processes' needs the optional package @bigface/mpi (${(cause as Error).message}); install it: npm install @bigface/mpi (with OpenMPI: apt-get install openmpi-bin libopenmpi-dev)`,
      { cause },
    );
  }
  if (!module.isMpiAvailable()) {
    throw new BigFaceError(
      'MPI_NOT_INSTALLED',
      "distributed.launcher 'processes': @bigface/mpi is installed but its addon is not built; install OpenMPI (apt-get install openmpi-bin libopenmpi-dev) and run npm rebuild @bigface/mpi",
    );
  }
}

/** What the controller knows about each rank process. */
interface RankProcess {
  rank: number;
  pid: number;
  socket: Socket;
  /** It sent its result (rank 0) or its error: it did not just vanish. */
  reported: boolean;
}

function reviveError(serialized: SerializedError): Error {
  const error = serialized.code !== undefined ? new BigFaceError(serialized.code, serialized.message) : new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}

/** The first note a rank left when it ended itself abruptly (see rank-process), naming it and its exit code. */
function exitNote(directory: string): { rank: number; how: string } | undefined {
  const notes = readdirSync(directory)
    .filter((name) => /^exit-rank-\d+\.json$/.test(name))
    .map((name) => JSON.parse(readFileSync(path.join(directory, name), 'utf8')) as { rank: number; code: number; at: number })
    .sort((a, b) => a.at - b.at);
  return notes[0] ? { rank: notes[0].rank, how: `exited with code ${notes[0].code} without reporting an error` } : undefined;
}

/** mpirun's own account of a dead rank ("process rank 1 with PID 123 ... exited on signal 9 (Killed)"). */
function deadRankFromOutput(output: string): { rank: number; how: string } | undefined {
  const signal = /process rank (\d+) with PID \d+ on node \S+ exited on signal (\d+) \(([^)]+)\)/.exec(output);
  if (signal) return { rank: Number(signal[1]), how: `was killed by signal ${signal[2]} (${signal[3]})` };
  const code = /Process name:\s*\[\[\d+,\d+\],(\d+)\]\s*Exit code:\s*(\d+)/.exec(output);
  if (code) return { rank: Number(code[1]), how: `exited with code ${code[2]}` };
  // @bigface/mpi turns a rank's non-zero exit into MPI_Abort, so mpirun names the rank this way.
  const aborted = /MPI_ABORT was invoked on rank (\d+)/.exec(output);
  if (aborted) return { rank: Number(aborted[1]), how: 'exited (and aborted the MPI job) without reporting an error' };
  return undefined;
}

/**
 * Runs the W ranks of a training run as W Node processes on this machine — `mpirun -np W` started
 * here, one rank per process over @bigface/mpi's communicator, as torchrun does for PyTorch — and
 * resolves with rank 0's result. The processes report to this one over a local socket: rank 0's
 * events reach `onEvent`; `signal` asks every rank to stop at its next step boundary (they agree,
 * checkpoint and return, `completed: false`). When a rank fails, the whole job comes down within
 * seconds (mpirun, or SIGTERM/SIGKILL of its process group after a grace) and the promise rejects
 * with RANK_FAILED naming the rank and its error (or how it died). mpirun runs in its own process
 * group, so a terminal's Ctrl-C reaches only this process, which turns it into the stop request;
 * if this process exits first, the job is killed.
 */
export async function launchProcessRanks(
  args: Omit<RankArguments, 'link'>,
  options: { worldSize: number; onEvent: (event: TrainEvent) => void; signal?: AbortSignal },
): Promise<TrainResult> {
  const { worldSize } = options;
  const mpirun = findMpirun();
  await checkMpiPackage();
  const entry = rankProcessEntry();
  const directory = mkdtempSync(path.join(tmpdir(), 'bigface-ranks-'));
  const argsFile = path.join(directory, 'args.bin');
  const socketPath = path.join(directory, 'control.sock');
  writeFileSync(argsFile, serialize(args));

  const ranks = new Map<Socket, RankProcess>();
  /** Ranks whose socket closed without a result or an error, in the order they went. */
  const vanished: number[] = [];
  let result: TrainResult | undefined;
  let failure: { rank: number; error: Error } | undefined;
  let child: ChildProcess | undefined;
  let output = '';
  let takedown: NodeJS.Timeout | undefined;
  const bringDown = () => {
    // The job is failing: give mpirun a few seconds to end it, then end it ourselves.
    takedown ??= setTimeout(() => {
      signalGroup('SIGTERM');
      setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS).unref();
    }, TAKEDOWN_GRACE_MS);
    takedown.unref();
  };
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onProcessExit = () => signalGroup('SIGKILL');
  const stop = () => {
    for (const rank of ranks.values()) if (!rank.socket.destroyed) writeFrame(rank.socket, { type: 'stop' });
  };

  let openSockets = 0;
  let socketsClosed: () => void = () => {};
  const allClosed = new Promise<void>((resolve) => (socketsClosed = resolve));
  const server = createServer((socket) => {
    openSockets++;
    socket.on(
      'data',
      frameReader<ProcessRankMessage>((message) => {
        const known = ranks.get(socket);
        switch (message.type) {
          case 'hello':
            ranks.set(socket, { rank: message.rank, pid: message.pid, socket, reported: false });
            if (options.signal?.aborted) writeFrame(socket, { type: 'stop' });
            break;
          case 'event':
            options.onEvent(message.event);
            break;
          case 'done':
            break;
          case 'result':
            if (message.rank === 0) result = message.result;
            if (known) known.reported = true;
            break;
          case 'error':
            if (known) known.reported = true;
            failure ??= { rank: message.rank, error: reviveError(message.error) };
            bringDown();
            break;
        }
      }),
    );
    socket.on('error', () => {});
    socket.on('close', () => {
      const known = ranks.get(socket);
      // A rank that goes away without a word died (killed, crashed, exited).
      if (known && !known.reported) {
        vanished.push(known.rank);
        bringDown();
      }
      if (--openSockets === 0 && child?.exitCode !== null) socketsClosed();
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));

  options.signal?.addEventListener('abort', stop);
  process.once('exit', onProcessExit);
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const flags = [
        ...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : []),
        // W may exceed the cores (slots); every rank's threads are set from the local rank count.
        '--oversubscribe',
        '--bind-to',
        'none',
        '-np',
        String(worldSize),
      ];
      child = spawn(mpirun, [...flags, process.execPath, entry], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          BIGFACE_RANK_ARGS: argsFile,
          BIGFACE_RANK_SOCKET: socketPath,
          // Containers often forbid cross-process memory attach (ptrace); copy through shared memory.
          OMPI_MCA_btl_vader_single_copy_mechanism: process.env.OMPI_MCA_btl_vader_single_copy_mechanism ?? 'none',
        },
      });
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-16_384);
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.once('error', (error) => reject(new BigFaceError('MPIRUN_FAILED', `could not start ${mpirun}: ${error.message}`, { cause: error })));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    if (openSockets === 0) socketsClosed();
    // Every rank process has ended; wait for what their sockets still carried.
    await Promise.race([allClosed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    if (failure) {
      throw Object.assign(
        new BigFaceError('RANK_FAILED', `rank ${failure.rank} of ${worldSize} (a process under mpirun) failed: ${failure.error.message}`, {
          cause: failure.error,
        }),
        { rank: failure.rank },
      );
    }
    if (exit.code === 0 && result !== undefined) return result;
    const dead =
      exitNote(directory) ?? deadRankFromOutput(output) ?? (vanished.length > 0 ? { rank: vanished[0]!, how: 'exited without reporting an error' } : undefined);
    const tail = output.trim().split('\n').slice(-12).join('\n');
    throw Object.assign(
      new BigFaceError(
        'RANK_FAILED',
        `${dead ? `rank ${dead.rank} of ${worldSize} (a process under mpirun) ${dead.how}` : `mpirun exited with ${exit.code ?? exit.signal} before rank 0 returned`}; the job was taken down. mpirun's last output:\n${tail}`,
      ),
      { rank: dead?.rank },
    );
  } finally {
    options.signal?.removeEventListener('abort', stop);
    process.removeListener('exit', onProcessExit);
    if (takedown) clearTimeout(takedown);
    server.close();
    rmSync(directory, { recursive: true, force: true });
  }
}
