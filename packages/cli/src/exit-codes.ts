import { isBigFaceError } from '@bigface/backend/errors';

/**
 * The exit codes of `bigface`, in one place: 0 ok, 1 runtime failure, 2 usage or configuration
 * error, 3 input data error (missing/corrupt files), 130 interrupted (SIGINT, as shells report it).
 */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  usage: 2,
  data: 3,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

const USAGE_CODES = /^(USAGE_|CONFIG_|UNKNOWN_|INVALID_ARCHITECTURE$|INVALID_ARGUMENT$|PRESET_)/;
const DATA_CODES =
  /^(DATA_|RECORD_|IMAGE_|PICKLE_|VERIFICATION_|PAIRS_|LIST_|INVALID_LANDMARKS$|CHECKPOINT_|SAFETENSORS_|ONNX_|MASK_INPUT|INPUT_|PHOTOS_|DETECTIONS_|FACE_NOT_FOUND$)/;

/**
 * Maps a thrown value to an exit code: BigFaceError codes by family (usage/config → 2, data and
 * checkpoint files → 3, `INTERRUPTED` → 130), anything else → 1.
 *
 * @example
 * exitCodeFor(new BigFaceError('CONFIG_INVALID', '...')); // 2
 */
export function exitCodeFor(error: unknown): ExitCode {
  if (!isBigFaceError(error)) return EXIT_CODES.failure;
  const code = (error as { code: string }).code;
  if (code === 'INTERRUPTED') return EXIT_CODES.interrupted;
  if (USAGE_CODES.test(code)) return EXIT_CODES.usage;
  if (DATA_CODES.test(code)) return EXIT_CODES.data;
  return EXIT_CODES.failure;
}
