// The entry of one rank process that launchProcessRanks starts under mpirun (built to
// dist/rank-process.js; not part of the public API). It reads the run's arguments, picks this
// process's GPU from its local rank, joins the MPI job and runs the rank, reporting to the
// controller over its control socket.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect, type Socket } from 'node:net';
import { deserialize } from 'node:v8';
import { gpuForLocalRank } from './launch-process-ranks';
import { serializeError, socketRankLink, writeFrame } from './rank-events';
import { runRank, type RankArguments } from './run-rank';

function connectTo(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path, () => resolve(socket));
    socket.once('error', reject);
  });
}

function flush(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.end(resolve));
}

async function main(): Promise<number> {
  const argsPath = process.env.BIGFACE_RANK_ARGS;
  const socketPath = process.env.BIGFACE_RANK_SOCKET;
  if (!argsPath || !socketPath) {
    process.stderr.write(
      '@bigface/train rank-process: started without BIGFACE_RANK_ARGS / BIGFACE_RANK_SOCKET; it is started by train() with distributed.launcher "processes"\n',
    );
    return 2;
  }
  const args = deserialize(readFileSync(argsPath)) as RankArguments;
  // Before any tfjs backend loads: one GPU per process (tfjs-node-gpu sees only CUDA_VISIBLE_DEVICES).
  const device = gpuForLocalRank(args.config.backend, Number(process.env.OMPI_COMM_WORLD_LOCAL_RANK ?? 0), process.env.CUDA_VISIBLE_DEVICES);
  if (device !== undefined) process.env.CUDA_VISIBLE_DEVICES = device;
  const socket = await connectTo(socketPath);
  let rank = Number(process.env.OMPI_COMM_WORLD_RANK ?? -1);
  // A rank that ends itself abruptly (process.exit, an error outside the loop) leaves a note the
  // controller reads to name it: the socket's close can race with the other ranks' (mpirun kills them).
  let reported = false;
  process.on('exit', (code) => {
    if (code !== 0 && !reported) {
      try {
        writeFileSync(path.join(path.dirname(socketPath), `exit-rank-${rank}.json`), JSON.stringify({ rank, code, at: Date.now() }));
      } catch {
        // the controller is gone
      }
    }
  });
  writeFrame(socket, { type: 'hello', rank, pid: process.pid });
  try {
    const { MpiCommunicator } = (await import('@bigface/mpi')) as unknown as { MpiCommunicator: { create(): import('@bigface/backend').Communicator } };
    const communicator = MpiCommunicator.create();
    rank = communicator.rank;
    const result = await runRank(communicator, args, socketRankLink(socket, rank));
    writeFrame(socket, { type: 'result', rank, result });
    reported = true;
    await flush(socket);
    return 0;
  } catch (error) {
    if (!socket.destroyed) writeFrame(socket, { type: 'error', rank, error: serializeError(error) });
    reported = true;
    await flush(socket);
    // A non-zero exit makes @bigface/mpi abort the job, so mpirun takes the other ranks down.
    return 1;
  }
}

void main().then((code) => process.exit(code));
