/**
 * A plain-data description of a dataset that worker threads can open on their own:
 * an insightface RecordIO file, or a list of image files with labels (image folders, list files).
 */
export type DatasetSource =
  | { format: 'recordio'; recordPath: string; indexPath?: string }
  | { format: 'files'; samples: readonly { path: string; label: number }[] };

/** One decoded-to-bytes sample: the encoded image and its integer label. */
export interface EncodedSample {
  image: Buffer;
  label: number;
  /** Where it came from, for error messages: `train.rec key 17` or a path. */
  origin: string;
}
