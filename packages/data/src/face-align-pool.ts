import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { initBackend, tf, type BackendName } from '@bigface/backend';
import { BigFaceError } from '@bigface/backend/errors';
import type { RawImage } from '@bigface/mask-synth';
import { alignPhoto, type AlignedPhoto, type AlignPhotoSettings } from './align-photo';
import { toRgbPixels } from './detect-faces';
import { FaceDetector, type DetectedFace, type FaceDetectorOptions } from './face-detector';

/** Options of {@link FaceAlignPool}. */
export interface FaceAlignPoolOptions {
  /** Worker threads (default 2); 0 aligns on the calling thread, on its tfjs backend (initialised if none is). */
  workers?: number;
  /**
   * The workers' tfjs backend. Default: `BIGFACE_BACKEND` if set, else 'wasm' (XNNPACK's depthwise
   * convolutions; tfjs's cpu backend runs them in plain JS, ~6x slower on the detector), else 'auto'.
   */
  backend?: BackendName | 'auto';
  detector?: FaceDetectorOptions;
  allFaces?: boolean;
  /** Crop side (default 112). */
  size?: number;
  /** Crop encoding (default 'jpeg' at quality 95). */
  format?: 'jpeg' | 'png';
  quality?: number;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/**
 * Detects and aligns photos on worker threads, each with its own tfjs backend and detector: the engine
 * of `bigface data align`, and of `bigface mask` on raw photos. `align(file)` resolves with the photo's
 * faces and their encoded crops, or rejects with a BigFaceError naming the file.
 *
 * @example
 * import { FaceAlignPool } from '@bigface/data';
 * const pool = new FaceAlignPool({ workers: 2 });
 * const { faces } = await pool.align('photos/alice/1.jpg');
 * await pool.close();
 */
export class FaceAlignPool {
  readonly workers: number;
  private readonly settings: AlignPhotoSettings;
  private readonly threads: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; task: 'align' | 'detect'; file: string | RawImage; inputName: string }[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly local: Promise<FaceDetector> | null = null;
  private nextId = 0;
  private closed = false;

  constructor(options: FaceAlignPoolOptions = {}) {
    this.workers = options.workers ?? 2;
    if (!Number.isInteger(this.workers) || this.workers < 0) {
      throw new BigFaceError('INVALID_ARGUMENT', `FaceAlignPool: workers must be a non-negative integer, got ${options.workers}`);
    }
    this.settings = { allFaces: options.allFaces ?? false, size: options.size ?? 112, format: options.format ?? 'jpeg', quality: options.quality ?? 95 };
    if (this.workers === 0) {
      this.local = (async () => {
        // A script that initialised no backend gets one (the one asked for, else the best installed).
        if (!['tensorflow', 'cpu', 'wasm'].some((name) => tf.findBackendFactory(name) !== null && tf.findBackendFactory(name) !== undefined)) {
          await initBackend({ backend: options.backend ?? 'auto' });
        }
        return FaceDetector.load(options.detector);
      })();
      this.local.catch(() => undefined);
      return;
    }
    const asked = options.backend ?? (process.env.BIGFACE_BACKEND as BackendName | undefined);
    const backend = asked ?? 'wasm';
    const threads = Math.max(1, Math.floor(availableParallelism() / this.workers));
    const entry = workerEntry();
    for (let index = 0; index < this.workers; index++) {
      const worker = new Worker(entry, {
        workerData: { backend, fallback: asked === undefined, threads, detector: options.detector ?? {}, settings: this.settings },
      });
      worker.on('message', (message: { id: number; result?: unknown; error?: { code: string; message: string } }) => {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        this.idle.push(worker);
        this.pump();
        if (pending === undefined) return;
        if (message.error) pending.reject(new BigFaceError(message.error.code, message.error.message));
        else pending.resolve(message.result!);
      });
      worker.on('error', (error) =>
        this.failAll(new BigFaceError('WORKER_FAILED', `FaceAlignPool: a worker thread failed: ${error.message}`, { cause: error })),
      );
      this.threads.push(worker);
      this.idle.push(worker);
    }
  }

  /** Aligns one photo (a path, or bytes with `inputName` for messages). */
  align(file: string, inputName = file): Promise<AlignedPhoto> {
    if (this.local !== null && !this.closed) return this.local.then((detector) => alignPhoto(file, detector, this.settings, inputName));
    return this.send<AlignedPhoto>('align', file, inputName);
  }

  /** Only detects: the faces of a photo (a path or decoded pixels), largest first, as {@link FaceDetector.detect}. */
  detect(image: string | RawImage, inputName = typeof image === 'string' ? image : 'image'): Promise<DetectedFace[]> {
    if (this.local !== null && !this.closed) return this.local.then(async (detector) => detector.detect(await toRgbPixels(image, inputName)));
    return this.send<DetectedFace[]>('detect', image, inputName);
  }

  private send<T>(task: 'align' | 'detect', file: string | RawImage, inputName: string): Promise<T> {
    if (this.closed) return Promise.reject(new BigFaceError('POOL_CLOSED', `FaceAlignPool: ${task}() after close()`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.queue.push({ id, task, file, inputName });
      this.pump();
    });
  }

  /** Stops the workers (or frees the local detector). */
  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new BigFaceError('POOL_CLOSED', 'FaceAlignPool: closed while photos were in flight'));
    if (this.local !== null)
      await this.local.then(
        (detector) => detector.dispose(),
        () => undefined,
      );
    await Promise.all(this.threads.map((worker) => worker.terminate()));
    this.threads.length = 0;
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) this.idle.pop()!.postMessage(this.queue.shift()!);
  }

  private failAll(error: BigFaceError): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.queue.length = 0;
  }
}

/** The built worker file; from sources (tests) fall back to the package's dist. */
function workerEntry(): URL {
  const here = new URL('./face-align-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../dist/face-align-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new BigFaceError(
    'WORKER_NOT_BUILT',
    `FaceAlignPool: cannot find the worker entry face-align-worker.js next to ${fileURLToPath(import.meta.url)} or in ../dist; run 'pnpm build' in packages/data`,
  );
}
