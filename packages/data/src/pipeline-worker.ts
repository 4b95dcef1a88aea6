// Worker-thread entry of DataPipeline: opens the source itself, processes batch requests as they
// arrive and transfers the pixel buffers back. Needs no tensors (no tfjs in workers).
import { parentPort, workerData } from 'node:worker_threads';
import { isBigFaceError } from '@bigface/backend/errors';
import type { AugmentOptions } from './augment-options';
import type { DatasetSource } from './dataset-source';
import { createBatchProcessor } from './process-batch';
import { openSampleReader } from './sample-reader';

interface WorkerConfig {
  source: DatasetSource;
  augment: AugmentOptions;
  onError: 'throw' | 'skip';
}

const port = parentPort;
if (port !== null) {
  const config = workerData as WorkerConfig;
  let process: ReturnType<typeof createBatchProcessor> | null = null;
  let openError: unknown = null;
  try {
    process = createBatchProcessor(openSampleReader(config.source), config.augment, config.onError);
  } catch (error) {
    openError = error;
  }
  port.on('message', async (message: { id: number; epoch: number; indices: Int32Array }) => {
    try {
      if (process === null) throw openError;
      const result = await process(message.epoch, message.indices);
      port.postMessage({ id: message.id, result }, [
        result.images.buffer as ArrayBuffer,
        result.labels.buffer as ArrayBuffer,
        result.indices.buffer as ArrayBuffer,
      ]);
    } catch (error) {
      port.postMessage({
        id: message.id,
        error: { code: isBigFaceError(error) ? error.code : 'WORKER_FAILED', message: error instanceof Error ? error.message : String(error) },
      });
    }
  });
}
