// Order matters: the public tfjs-core first, so that its engine is the one every later copy shares.
import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';

export { tf };
export { BigFaceError, assertArgument, didYouMean, editDistance, isBigFaceError } from './errors';
export { Rng, hashSeed, type RngState } from './random';
export { initBackend, installedTensorflowPackage, type BackendInfo, type BackendName, type InitBackendOptions } from './init-backend';
export { registerWasmTrainingKernels } from './wasm-kernels';
export type { Communicator, GatheredArrays, NumericArray, ReduceOp } from './communicator';
export { fromBfloat16, toBfloat16 } from './communicator';
export type { ParameterGroup } from './parameter-group';
export { FUSED_KERNELS, hasFusedKernel } from './fused-kernels';
export { SingleCommunicator } from './single-communicator';
export { ThreadCommunicator, type ThreadCommunicatorMemory, type ThreadCommunicatorOptions } from './thread-communicator';
export { launchRanks, type LaunchRanksOptions, type RankFunction } from './launch-ranks';
export {
  readSafetensors,
  writeSafetensors,
  loadSafetensors,
  saveSafetensors,
  writeFileAtomic,
  safetensorsToTensors,
  tensorsToSafetensors,
  float16ToFloat32,
  float32ToFloat16,
  bfloat16ToFloat32,
  float32ToBfloat16,
  int64ToInt32,
  type ReadSafetensorsOptions,
  type SafetensorsDtype,
  type SafetensorsData,
  type SafetensorsTensor,
  type SafetensorsFile,
  type SafetensorsInput,
} from './safetensors';
