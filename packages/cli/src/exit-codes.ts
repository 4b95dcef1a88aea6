import { isBigFaceError } from '@bigface/backend/errors';

/**
 * The exit codes of `bigface`, in one place: 0 ok, 1 runtime failure, 2 usage or configuration
 * error, 3 input data error (missing, corrupt or mismatched files), 130 interrupted (SIGINT, as
 * shells report it).
 */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  usage: 2,
  data: 3,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** What an error says about who must act: the command line or config (usage), a file (data), or nobody in particular (failure). */
export type ErrorClass = Exclude<keyof typeof EXIT_CODES, 'ok'>;

const usage: ErrorClass = 'usage';
const data: ErrorClass = 'data';
const failure: ErrorClass = 'failure';

/**
 * Every BigFaceError code of every @bigface package, and its class. A test scans the packages'
 * sources and fails when a code is thrown that this table does not list (or the table lists one no
 * package throws), so a new error is classified when it is written, not guessed from its prefix.
 *
 * usage (exit 2): the command line, the config, an option or argument, or the environment the
 * config asks for (a backend, mpirun) is wrong; the fix is to change how it is run.
 * data (exit 3): an input or output file is missing, unreadable, corrupt, or does not match what
 * it is loaded into (checkpoints, state dicts, caches, images, landmarks).
 * failure (exit 1): a run failed while running (non-finite loss, a crashed rank or worker, a
 * collective timeout), an installation problem, or a programming error in a caller.
 */
export const ERROR_CLASSES: Readonly<Record<string, ErrorClass>> = Object.freeze({
  // command line and configuration
  USAGE_ERROR: usage,
  CONFIG_INVALID: usage,
  CONFIG_EXTENDS_CYCLE: usage,
  CONFIG_FILE_INVALID: usage,
  CONFIG_FILE_NOT_FOUND: usage,
  PRESET_UNKNOWN: usage,
  RUN_EXISTS: usage,
  RESUME_CONFIG_CHANGED: usage,
  RESUME_CLASSES_CHANGED: usage,
  DISTILL_EMBEDDING_MISMATCH: usage,
  DISTILL_BAD_LAMBDA: usage,
  DISTILL_BAD_PROJECTION: usage,
  DISTILL_BAD_SHAPE: usage,
  UNKNOWN_BACKBONE: usage,
  UNKNOWN_BACKEND: usage,
  UNKNOWN_COLOUR: usage,
  UNKNOWN_FACE_MODEL: usage,
  UNKNOWN_MASK_TYPE: usage,
  UNKNOWN_REDUCE_OP: usage,
  UNKNOWN_TEXTURE: usage,
  INVALID_ARCHITECTURE: usage,
  INVALID_ARGUMENT: usage,
  INVALID_COUNTS: usage,
  INVALID_DTYPE: usage,
  INVALID_EXPORT_NAME: usage,
  INVALID_INPUT: usage,
  INVALID_MARGIN: usage,
  INVALID_MEMORY: usage,
  INVALID_OPTIONS: usage,
  INVALID_PRECISION: usage,
  INVALID_RANK: usage,
  INVALID_RANK_MODULE: usage,
  INVALID_ROOT: usage,
  INVALID_SEED: usage,
  INVALID_SHAPE: usage,
  INVALID_SLOT_BYTES: usage,
  INVALID_THREADS: usage,
  INVALID_TIMEOUT: usage,
  INVALID_WORLD_SIZE: usage,
  INDEX_OUT_OF_RANGE: usage,
  EVAL_BAD_BATCH_SIZE: usage,
  EVAL_BAD_BOOTSTRAP: usage,
  EVAL_BAD_EMBEDDINGS: usage,
  EVAL_BAD_FOLDS: usage,
  EVAL_BAD_HISTOGRAM: usage,
  EVAL_BAD_IMAGES: usage,
  EVAL_BAD_PAIRS: usage,
  EVAL_BAD_PLOT: usage,
  EVAL_BAD_PROTOCOL: usage,
  EVAL_BAD_REPORT: usage,
  EVAL_BAD_SCORES: usage,
  EVAL_BAD_THRESHOLDS: usage,
  LANDMARKS_REQUIRED: usage,
  MASK_FUNCTION_INVALID: usage,
  UNSUPPORTED_DATA_TYPE: usage,
  PRECISION_UNSUPPORTED: usage,
  UNSUPPORTED: usage,
  NATIVE_CPU_UNAVAILABLE: usage,
  BACKEND_NOT_INSTALLED: usage,
  FACE_MODEL_NOT_INSTALLED: usage,
  RANKS_NEED_PROCESSES: usage,
  MPIRUN_NOT_FOUND: usage,
  MPI_NOT_AVAILABLE: usage,
  MPI_NOT_INSTALLED: usage,
  MPI_WORLD_SIZE_MISMATCH: usage,
  RANK_MODULE_NOT_FOUND: usage,
  RANK_FUNCTION_NOT_FOUND: usage,
  RANK_ARGUMENTS_NOT_CLONEABLE: usage,
  RANK_RESULT_NOT_CLONEABLE: usage,
  // input and output files
  FILE_NOT_FOUND: data,
  FILE_NOT_READABLE: data,
  FILE_NOT_WRITABLE: data,
  DATA_NOT_FOUND: data,
  DATA_BAD_LABEL: data,
  DATA_TOO_FEW_IDENTITIES: data,
  DATA_TOO_SMALL: data,
  PROPERTY_INVALID: data,
  INPUT_EMPTY: data,
  INPUT_NOT_FOUND: data,
  IMAGE_DECODE_FAILED: data,
  IMAGE_FOLDER_EMPTY: data,
  IMAGE_FOLDER_NOT_FOUND: data,
  IMAGE_NOT_FOUND: data,
  INVALID_IMAGE: data,
  EMPTY_IMAGE: data,
  NOT_AN_IMAGE: data,
  TRUNCATED_IMAGE: data,
  INVALID_LABEL: data,
  INVALID_LANDMARKS: data,
  LANDMARKS_DEGENERATE: data,
  LANDMARKS_OUTSIDE_IMAGE: data,
  LANDMARKS_WRONG_COUNT: data,
  DETECTIONS_INVALID: data,
  FACE_NOT_FOUND: data,
  FACE_MODEL_INVALID: data,
  PHOTOS_WITHOUT_IDENTITY: data,
  MASK_MODULE_INVALID: data,
  LIST_FILE_INVALID: data,
  METRICS_INVALID: data,
  LIST_FILE_NOT_FOUND: data,
  PAIRS_FILE_INVALID: data,
  PAIRS_FILE_NOT_FOUND: data,
  VERIFICATION_FILE_INVALID: data,
  VERIFICATION_FILE_NOT_FOUND: data,
  PICKLE_INVALID: data,
  PICKLE_TRUNCATED: data,
  PICKLE_UNSUPPORTED_OPCODE: data,
  RECORD_BAD_CONTINUATION: data,
  RECORD_BAD_MAGIC: data,
  RECORD_DUPLICATE_KEY: data,
  RECORD_FILE_NOT_FOUND: data,
  RECORD_HEADER_TRUNCATED: data,
  RECORD_INDEX_INVALID: data,
  RECORD_INDEX_NOT_FOUND: data,
  RECORD_KEY_NOT_FOUND: data,
  RECORD_OFFSET_OUT_OF_RANGE: data,
  RECORD_TOO_LARGE: data,
  RECORD_TRUNCATED: data,
  SAFETENSORS_BAD_HEADER: data,
  SAFETENSORS_BAD_OFFSETS: data,
  SAFETENSORS_INT64_RANGE: data,
  SAFETENSORS_TRUNCATED: data,
  INVALID_ONNX: data,
  ONNX_UNSUPPORTED: data,
  CHECKPOINT_NOT_FOUND: data,
  CHECKPOINT_INCOMPLETE: data,
  CHECKPOINT_MISMATCH: data,
  RESUME_NOT_FOUND: data,
  STATE_DICT_MISMATCH: data,
  STATE_MISMATCH: data,
  MISSING_STATE: data,
  UNKNOWN_VARIABLE: data,
  INVALID_STATE: data,
  INVALID_RNG_STATE: data,
  TEACHER_CACHE_BAD_BATCH: data,
  TEACHER_CACHE_BAD_FORMAT: data,
  TEACHER_CACHE_BAD_ID: data,
  TEACHER_CACHE_MISSING_ID: data,
  TEACHER_CACHE_STALE: data,
  // failures while running
  NON_FINITE_LOSS: failure,
  RANK_FAILED: failure,
  WORKER_FAILED: failure,
  ALIGN_FAILED: failure,
  MASK_FAILED: failure,
  SAMPLE_FAILED: failure,
  MPIRUN_FAILED: failure,
  MPI_ERROR: failure,
  COLLECTIVE_ABORTED: failure,
  COLLECTIVE_MISMATCH: failure,
  COLLECTIVE_TIMEOUT: failure,
  MISSING_GRADIENT: failure,
  WASM_KERNEL_FAILED: failure,
  WASM_OUT_OF_MEMORY: failure,
  INJECTED_FAILURE: failure,
  TRAIN_NOT_BUILT: failure,
  WORKER_NOT_BUILT: failure,
  RANK_WORKER_NOT_BUILT: failure,
  PIPELINE_CLOSED: failure,
  POOL_CLOSED: failure,
  READER_CLOSED: failure,
  WRITER_CLOSED: failure,
  DETECTOR_DISPOSED: failure,
  TEACHER_CACHE_CLOSED: failure,
});

/**
 * Maps a thrown value to an exit code through {@link ERROR_CLASSES}: usage or configuration → 2,
 * files → 3, `INTERRUPTED` → 130, a failed rank → the exit code of the error that failed it, any
 * other value → 1.
 *
 * @example
 * exitCodeFor(new BigFaceError('CONFIG_INVALID', '...')); // 2
 */
export function exitCodeFor(error: unknown): ExitCode {
  if (!isBigFaceError(error)) return EXIT_CODES.failure;
  if (error.code === 'INTERRUPTED') return EXIT_CODES.interrupted;
  if (error.code === 'RANK_FAILED' && isBigFaceError(error.cause)) return exitCodeFor(error.cause);
  const errorClass = ERROR_CLASSES[error.code];
  return errorClass === undefined ? EXIT_CODES.failure : EXIT_CODES[errorClass];
}
