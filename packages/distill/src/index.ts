export { angularDistillationLoss } from './angular-distillation-loss';
export { bigFaceDistillObjective, type BigFaceDistillObjective, type BigFaceDistillObjectiveOptions } from './big-face-distill-objective';
export { EmbeddingProjection, type EmbeddingProjectionOptions } from './embedding-projection';
export { stopGradient } from './stop-gradient';
export {
  TeacherEmbeddingCache,
  type TeacherCacheBatch,
  type BuildTeacherEmbeddingCacheOptions,
  type LoadTeacherEmbeddingCacheOptions,
} from './teacher-embedding-cache';
export { idsFingerprint } from './ids-fingerprint';
export { SampleIdIndex } from './sample-id-index';
export { frozenTeacher, type TeacherModel } from './frozen-teacher';
