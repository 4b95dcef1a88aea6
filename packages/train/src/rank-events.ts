// The protocol between a training run's ranks and the process that started them (the controller):
// rank 0's TrainEvents and its end-of-stream marker go up; stop requests go down. One module for both
// sides and every transport (in process, worker threads, rank processes over a local socket), so the
// two sides cannot drift apart.
import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';
import { BroadcastChannel } from 'node:worker_threads';
import type { TrainEvent, TrainResult } from './train-events';

/** Rank → controller. */
export type RankMessage =
  /** A training event of rank 0. */
  | { type: 'event'; event: TrainEvent }
  /** Rank 0 has posted its last event (sent when its loop ends, normally or not). */
  | { type: 'done' };

/** Controller → ranks. */
export type ControlMessage = { type: 'stop' };

/** What a rank's training loop sees of its controller. */
export interface RankLink {
  /** Reports a training event (kept only from rank 0). */
  emit(event: TrainEvent): void;
  /** Whether the controller asked to stop (the ranks agree on it with a collective before acting). */
  stopRequested(): boolean;
  /** Marks the end of this rank's events (call once, in a finally). */
  close(): void;
}

/** A rank in the controller's own thread (W = 1, or one process of a user-started MPI job). */
export function inProcessLink(options: { onEvent?: (event: TrainEvent) => void; signal?: AbortSignal; leader: boolean }): RankLink {
  return {
    emit: (event) => {
      if (options.leader) options.onEvent?.(event);
    },
    stopRequested: () => options.signal?.aborted === true,
    close: () => {},
  };
}

/** What each worker-thread rank receives to build its {@link RankLink} (plain data: it crosses threads). */
export interface ThreadLinkArguments {
  /** Name of the BroadcastChannel rank 0 posts its {@link RankMessage}s on. */
  channel: string;
  /** One Int32 the controller sets to 1 to request a stop (read without waiting, once per step). */
  stopFlag: SharedArrayBuffer;
}

/** The link of a worker-thread rank (see {@link ThreadController}). */
export function threadRankLink(args: ThreadLinkArguments, rank: number): RankLink {
  const channel = rank === 0 ? new BroadcastChannel(args.channel) : null;
  const stop = new Int32Array(args.stopFlag);
  const post = (message: RankMessage) => channel?.postMessage(message);
  return {
    emit: (event) => post({ type: 'event', event }),
    stopRequested: () => Atomics.load(stop, 0) === 1,
    close: () => {
      post({ type: 'done' });
      channel?.close();
    },
  };
}

/**
 * The controller's side of worker-thread ranks: delivers rank 0's events on this thread, requests
 * stops, and tells when rank 0's last event has arrived (events and the ranks' return values travel
 * on different channels, so the result alone does not mean every event was delivered).
 */
export class ThreadController {
  readonly args: ThreadLinkArguments;
  private readonly channel: BroadcastChannel;
  private readonly delivered: Promise<void>;

  constructor(name: string, onEvent: (event: TrainEvent) => void) {
    this.args = { channel: name, stopFlag: new SharedArrayBuffer(4) };
    this.channel = new BroadcastChannel(name);
    let markDelivered: () => void = () => {};
    this.delivered = new Promise<void>((resolve) => (markDelivered = resolve));
    this.channel.onmessage = (message: unknown) => {
      const data = (message as { data: RankMessage }).data;
      if (data.type === 'done') markDelivered();
      else onEvent(data.event);
    };
  }

  /** Asks every rank to stop at its next step boundary. */
  stop(): void {
    Atomics.store(new Int32Array(this.args.stopFlag), 0, 1);
  }

  /** Resolves once rank 0's `done` has arrived: every event before it has been delivered. */
  allDelivered(): Promise<void> {
    return this.delivered;
  }

  close(): void {
    this.channel.close();
  }
}

/** An error as it crosses a thread or process boundary (name, message, stack and BigFaceError code). */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, stack: error.stack, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: `non-Error value thrown: ${String(error)}` };
}

/** Rank process → controller, over the control socket: the rank messages plus the process's life. */
export type ProcessRankMessage =
  | RankMessage
  /** The first message of every rank process. */
  | { type: 'hello'; rank: number; pid: number }
  /** A rank's return value (rank 0's is the run's result), sent by every rank that ends normally. */
  | { type: 'result'; rank: number; result: TrainResult }
  /** The error a rank process is about to exit with. */
  | { type: 'error'; rank: number; error: SerializedError };

/**
 * Writes one message as a frame: a 4-byte big-endian length, then the message in V8's structured-clone
 * format (typed arrays in events and results survive, unlike JSON).
 */
export function writeFrame(socket: Socket, message: ProcessRankMessage | ControlMessage): void {
  const body = serialize(message);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  socket.write(Buffer.concat([header, body]));
}

/** Reassembles frames from a socket's chunks; calls `onMessage` once per complete message. */
export function frameReader<T>(onMessage: (message: T) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (pending.length < 4 + length) break;
      const body = pending.subarray(4, 4 + length);
      pending = pending.subarray(4 + length);
      onMessage(deserialize(body) as T);
    }
  };
}

/**
 * The link of a rank process (see launch-process-ranks): rank 0's events go up the control socket;
 * a `stop` from the controller, or the controller going away (the socket closes), requests a stop.
 */
export function socketRankLink(socket: Socket, rank: number): RankLink {
  let stop = false;
  socket.on(
    'data',
    frameReader<ControlMessage>((message) => {
      if (message.type === 'stop') stop = true;
    }),
  );
  socket.on('close', () => (stop = true));
  return {
    emit: (event) => {
      if (rank === 0 && !socket.destroyed) writeFrame(socket, { type: 'event', event });
    },
    stopRequested: () => stop,
    close: () => {
      if (rank === 0 && !socket.destroyed) writeFrame(socket, { type: 'done' });
    },
  };
}
