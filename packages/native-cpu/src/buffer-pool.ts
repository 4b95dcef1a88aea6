// Recycled output buffers for the native kernels.
//
// A training step allocates the same tensor sizes again and again (an r18 step at batch 8: ~1.5 GB
// in ~900 outputs). As fresh ArrayBuffers they cost V8 ~55 garbage collections per step (external
// memory pressure: ~100 ms of a ~1 s step), page faults, and cache-cold memory. Here a kernel's
// output is taken from a free list of buffers of exactly its byte size and goes back to it when tfjs
// deletes the last tensor that holds it.
//
// Why that is safe: tfjs-backend-cpu hands a tensor's own array out in two ways, both tracked.
//  - Aliases inside tfjs: a contiguous Slice (and Split/Unpack through it) stores a view of its
//    input's buffer under a new dataId. Every `data.set` of one of our buffers counts a holder and
//    every `data.delete` releases one: the buffer is recycled only when no tensor holds it.
//  - Arrays given to user code: `dataSync()`, `data()`, `bufferSync()`, `array()` all read through
//    `backend.readSync`. A buffer read that way has escaped — the user may keep it past dispose —
//    and is never recycled (the garbage collector frees it as before).
// Buffers are never handed out with a larger ArrayBuffer than asked (exact sizes: `values.buffer`
// stays the tensor's own bytes), and never zeroed: the native kernels write every element.
import { availableParallelism, totalmem } from 'node:os';
import type * as tf from '@tensorflow/tfjs-core';
import { cpuBackendStorage, type CpuBackend } from './tfjs-internals';

/** What the pool holds and has done, for this thread (each worker-thread rank has its own pool). */
export interface NativeBufferPoolStats {
  /** Outputs served from the free lists. */
  reused: number;
  /** Outputs that needed a new buffer. */
  allocated: number;
  /** Bytes waiting in the free lists now. */
  freeBytes: number;
  /** The most bytes the free lists keep; 0 when the pool is off. */
  capBytes: number;
}

interface Owned {
  holders: number;
}

const SMALLEST = 1024; // values: smaller outputs are plain Float32Arrays (not worth tracking)

// How many ranks of this machine share its memory, from the threads each is given.
let sharers = 1;
let capSetExplicitly = false;

function defaultCapBytes(): number {
  const fromEnv = process.env.BIGFACE_NATIVE_POOL_MB;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const mb = Number(fromEnv);
    if (!Number.isFinite(mb) || mb < 0)
      throw new TypeError(`BIGFACE_NATIVE_POOL_MB must be a number of megabytes >= 0 (0 turns the pool off), got '${fromEnv}'`);
    return Math.floor(mb * 2 ** 20);
  }
  return Math.floor(totalmem() / 8 / sharers);
}

/**
 * Sizes the default cap for a thread given `threads` of the machine's cores: W ranks on one machine
 * each get cores / W threads (@bigface/train does), so each pool keeps RAM / 8 / W by default.
 */
export function sharePoolAmongThreads(threads: number): void {
  const next = Math.max(1, Math.floor(availableParallelism() / Math.max(1, threads)));
  if (next === sharers) return;
  sharers = next;
  if (!capSetExplicitly) stats.capBytes = -1; // recomputed on next use (BIGFACE_NATIVE_POOL_MB still wins)
}

const owned = new WeakMap<ArrayBuffer, Owned>();
const freeLists = new Map<number, ArrayBuffer[]>();
// When each size was last asked for (a tick per pooled allocation): a full pool makes room by
// dropping the sizes asked for least recently (after training, the free lists full of training-step
// sizes would otherwise keep an evaluation's outputs out of the pool for good).
const lastAsked = new Map<number, number>();
let tick = 0;
const hooked = new WeakSet<object>();
// Every tensor array handed to user code through readSync (pooled or not): user code may write into
// it (tfjs tensors are immutable, but on the cpu backend `dataSync()` returns the array itself), so
// the filter cache never keeps a reordered copy of one (src/weights-id.ts).
const escapedArrays = new WeakSet<object>();
const stats = { reused: 0, allocated: 0, freeBytes: 0, capBytes: -1 };

function capBytes(): number {
  if (stats.capBytes < 0) stats.capBytes = defaultCapBytes();
  return stats.capBytes;
}

function bufferOf(entry: { values?: unknown } | undefined): ArrayBuffer | undefined {
  const values = entry?.values;
  if (values === undefined || !ArrayBuffer.isView(values)) return undefined;
  const buffer = values.buffer;
  return buffer instanceof ArrayBuffer ? buffer : undefined;
}

function release(buffer: ArrayBuffer | undefined): void {
  if (buffer === undefined) return;
  const entry = owned.get(buffer);
  if (entry === undefined) return;
  entry.holders--;
  if (entry.holders > 0) return;
  owned.delete(buffer);
  if (stats.freeBytes + buffer.byteLength > capBytes() && !makeRoom(buffer.byteLength)) return; // left to the garbage collector
  let list = freeLists.get(buffer.byteLength);
  if (list === undefined) {
    list = [];
    freeLists.set(buffer.byteLength, list);
  }
  list.push(buffer);
  stats.freeBytes += buffer.byteLength;
}

/** Drops the free buffers of the sizes asked for least recently (never `bytes` itself) until a buffer of `bytes` fits. */
function makeRoom(bytes: number): boolean {
  const cap = capBytes();
  if (bytes > cap) return false;
  const current = lastAsked.get(bytes) ?? tick;
  const candidates = [...freeLists.keys()].filter((size) => size !== bytes && (lastAsked.get(size) ?? 0) < current);
  candidates.sort((a, b) => (lastAsked.get(a) ?? 0) - (lastAsked.get(b) ?? 0));
  for (const size of candidates) {
    if (stats.freeBytes + bytes <= cap) break;
    const list = freeLists.get(size)!;
    while (list.length > 0 && stats.freeBytes + bytes > cap) {
      list.pop();
      stats.freeBytes -= size;
    }
    if (list.length === 0) freeLists.delete(size);
  }
  return stats.freeBytes + bytes <= cap;
}

/** Counts holders on the backend's tensor storage and marks buffers read by user code as escaped. */
function hook(backend: CpuBackend): void {
  if (hooked.has(backend)) return;
  hooked.add(backend);
  const storage = cpuBackendStorage(backend);
  const { set, delete: remove, get, has } = storage;
  storage.set = function (this: unknown, dataId: tf.DataId, value: { values?: unknown }) {
    const previous = has.call(storage, dataId) ? bufferOf(get.call(storage, dataId)) : undefined;
    const buffer = bufferOf(value);
    const entry = buffer === undefined ? undefined : owned.get(buffer);
    if (entry !== undefined) entry.holders++;
    const result = set.call(storage, dataId, value);
    release(previous);
    return result;
  };
  storage.delete = function (this: unknown, dataId: tf.DataId) {
    const buffer = has.call(storage, dataId) ? bufferOf(get.call(storage, dataId)) : undefined;
    const result = remove.call(storage, dataId);
    release(buffer);
    return result;
  };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: tf.DataId) => {
    const entry = has.call(storage, dataId) ? get.call(storage, dataId) : undefined;
    const buffer = bufferOf(entry);
    if (buffer !== undefined) {
      owned.delete(buffer); // escaped: never recycled
      escapedArrays.add(entry!.values as object);
    }
    return readSync(dataId);
  };
}

/** Starts tracking a cpu backend (done by the first pooled output anyway; registering the kernels does it early). */
export function watchCpuBackend(backend: CpuBackend): void {
  hook(backend);
}

/** Whether tensor array `values` was handed to user code (see escapedArrays). */
export function wasReadByUser(values: object): boolean {
  return escapedArrays.has(values);
}

/**
 * A Float32Array of `length` values for a kernel that writes every element: recycled when the pool
 * has one of that size, else new (large ones without zero-filling: Buffer.allocUnsafeSlow, own
 * ArrayBuffer of exactly that size).
 */
export function uninitializedFloat32(backend: CpuBackend, length: number): Float32Array {
  if (length < SMALLEST) return new Float32Array(length);
  const bytes = length * 4;
  if (capBytes() > 0) {
    hook(backend);
    lastAsked.set(bytes, ++tick);
    const buffer = freeLists.get(bytes)?.pop();
    if (buffer !== undefined) {
      stats.freeBytes -= bytes;
      stats.reused++;
      owned.set(buffer, { holders: 0 });
      return new Float32Array(buffer, 0, length);
    }
  }
  const buffer = Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
  stats.allocated++;
  if (capBytes() > 0) owned.set(buffer, { holders: 0 });
  return new Float32Array(buffer, 0, length);
}

/** This thread's pool counters (`capBytes` 0: off — BIGFACE_NATIVE_POOL_MB=0). */
export function nativeBufferPoolStats(): NativeBufferPoolStats {
  return { reused: stats.reused, allocated: stats.allocated, freeBytes: stats.freeBytes, capBytes: capBytes() };
}

/**
 * Drops every free buffer of this thread's pool (the garbage collector then frees them), and sets
 * the cap when given (bytes; 0 turns recycling off). Tensors alive keep their buffers.
 */
export function releaseNativeBufferPool(options: { capBytes?: number } = {}): void {
  freeLists.clear();
  lastAsked.clear();
  stats.freeBytes = 0;
  if (options.capBytes !== undefined) {
    if (!Number.isFinite(options.capBytes) || options.capBytes < 0) {
      throw new TypeError(`releaseNativeBufferPool({capBytes}): a number of bytes >= 0, got ${options.capBytes}`);
    }
    stats.capBytes = Math.floor(options.capBytes);
    capSetExplicitly = true;
  }
}
