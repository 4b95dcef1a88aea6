export { RecordIoReader } from './record-io-reader';
export { RecordIoWriter } from './record-io-writer';
export { type ImageRecord, IMAGE_RECORD_HEADER_BYTES } from './image-record';
export { unpackRecord } from './unpack-record';
export { packRecord, type PackRecordInput } from './pack-record';
export { RecordDataset } from './record-dataset';
export type { DatasetSource, EncodedSample } from './dataset-source';
export { packRecordDataset, type PackSample, type PackRecordDatasetOptions, type PackRecordDatasetResult } from './pack-record-dataset';
export { packImageFolder } from './pack-image-folder';
export { listImageFolder, IMAGE_EXTENSIONS, type ImageFolderListing } from './list-image-folder';
export { readListFile } from './read-list-file';
export { parsePickle, type PickleValue } from './parse-pickle';
export { readVerificationBin, parseVerificationBin, type VerificationSet } from './read-verification-bin';
export { readPairsFile, type VerificationPair, type ReadPairsFileOptions } from './read-pairs-file';
export { DistributedSampler, type DistributedSamplerOptions, type SamplerPosition } from './distributed-sampler';
export { createSynthIdentity, type SynthIdentity } from './synth-identity';
export { renderSynthFace, type RenderSynthFaceOptions, type SynthFace } from './render-synth-face';
export { generateSynthFaces, type GenerateSynthFacesOptions } from './generate-synth-faces';
export { DataPipeline, type Batch, type DataPipelineOptions } from './data-pipeline';
export type { AugmentOptions, MaskModule } from './augment-options';
export type { MaskFunction, MaskFunctionOption, MaskContext, RawRgbImage } from './mask-function';
export type { SkippedSample } from './process-batch';
export { batchToTensors } from './batch-to-tensors';
export { estimateSimilarity, type SimilarityMatrix } from './estimate-similarity';
export { alignFaceImage, ARCFACE_TEMPLATE, type AlignFaceImageOptions } from './align-face-image';
export { FACE_API_MODELS, loadFaceApiWeights, faceApiModelDirectory, type FaceApiModelName } from './face-api-models';
export {
  FaceDetector,
  fivePointsOf68,
  FACE_DETECTOR_MODELS,
  type FaceDetectorModel,
  type FaceDetectorOptions,
  type DetectedFace,
  type FaceBox,
} from './face-detector';
export { alignFacePixels } from './align-face-pixels';
export { detectFaces, sharedFaceDetector, releaseFaceDetectors, type DetectFacesOptions, type FaceImageInput } from './detect-faces';
export { alignFaces, type AlignedFace, type AlignFacesOptions } from './align-faces';
export { alignPhoto, type AlignedPhoto, type AlignedPhotoFace, type AlignPhotoSettings } from './align-photo';
export { FaceAlignPool, type FaceAlignPoolOptions } from './face-align-pool';
export {
  alignPhotoFolder,
  PHOTO_EXTENSIONS,
  type AlignPhotoFolderOptions,
  type AlignPhotoFolderResult,
  type PhotoDetections,
  type PhotoStatus,
} from './align-photo-folder';
export { createLandmarkFinder } from './create-landmark-finder';
