// The protocol between a training run's ranks and the process that started them (the controller):
// rank 0's TrainEvents and its end-of-stream marker go up; stop requests go down. One module for both
// sides and every transport (in process, worker threads), so the two sides cannot drift apart.
import { BroadcastChannel } from 'node:worker_threads';
import type { TrainEvent } from './train-events';

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
