// Worker-thread entry of alignPhotoFolder and FaceAlignPool: its own tfjs backend and detector; aligns
// the photos it is sent and returns detections and encoded crops.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, type BackendName } from '@bigface/backend';
import { isBigFaceError } from '@bigface/backend/errors';
import type { RawImage } from '@bigface/mask-synth';
import { alignPhoto, type AlignPhotoSettings } from './align-photo';
import { toRgbPixels } from './detect-faces';
import { FaceDetector, type FaceDetectorOptions } from './face-detector';

interface WorkerConfig {
  backend: BackendName | 'auto';
  /** Whether to fall back to 'auto' when the (default, not asked-for) backend is not installed. */
  fallback: boolean;
  threads: number;
  detector: FaceDetectorOptions;
  settings: AlignPhotoSettings;
}

const port = parentPort;
if (port !== null) {
  const config = workerData as WorkerConfig;
  const ready = (async () => {
    try {
      await initBackend({ backend: config.backend, threads: config.threads });
    } catch (error) {
      if (!config.fallback) throw error;
      await initBackend({ backend: 'auto', threads: config.threads });
    }
    return FaceDetector.load(config.detector);
  })();
  port.on('message', async (message: { id: number; task: 'align' | 'detect'; file: string | RawImage; inputName: string }) => {
    try {
      const detector = await ready;
      if (message.task === 'detect') {
        const faces = await detector.detect(await toRgbPixels(message.file, message.inputName));
        port.postMessage({ id: message.id, result: faces });
        return;
      }
      const result = await alignPhoto(message.file as string, detector, config.settings, message.inputName);
      // Crops are a few kB: copied, not transferred (a small Buffer may share Node's pool).
      port.postMessage({ id: message.id, result });
    } catch (error) {
      port.postMessage({
        id: message.id,
        error: { code: isBigFaceError(error) ? error.code : 'ALIGN_FAILED', message: error instanceof Error ? error.message : String(error) },
      });
    }
  });
}
