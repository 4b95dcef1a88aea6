/**
 * One insightface RecordIO payload: the MXNet `IRHeader` (`<IfQQ`: flag, label, id, id2), then `flag`
 * float32 labels when flag > 0, then the image bytes (JPEG).
 */
export interface ImageRecord {
  /** Number of extra float labels (0: the single label is `label`). */
  flag: number;
  /** The label: `labels[0]` when flag > 0 (as insightface reads it), else the header's label. */
  label: number;
  /** Extra labels (length `flag`). */
  labels: Float32Array;
  id: bigint;
  id2: bigint;
  /** The image bytes: a view into the payload. */
  image: Buffer;
}

/** Size of the packed IRHeader. */
export const IMAGE_RECORD_HEADER_BYTES = 24;
