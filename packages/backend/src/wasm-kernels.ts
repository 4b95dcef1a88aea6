/**
 * Registers the training kernels that @tensorflow/tfjs-backend-wasm lacks. Idempotent.
 * Returns the names of the kernels BigFace provides on wasm.
 */
export function registerWasmTrainingKernels(): string[] {
  return [];
}
