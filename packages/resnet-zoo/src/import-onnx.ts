import { OnnxGraphModel } from './onnx-graph-model';
import { decodeOnnxModel } from './onnx/onnx-proto';

/**
 * Reads an ONNX model (protobuf bytes, weights inside) and returns a runnable
 * {@link OnnxGraphModel}: e.g. an insightface IResNet exported by PyTorch (`torch.onnx.export`,
 * BN-folded convs, `BatchNormalization`, `PRelu`, `Flatten`, `Gemm`) or a model from
 * {@link exportOnnx}. Throws `INVALID_ONNX` for malformed files and `ONNX_UNSUPPORTED` naming the
 * operator it cannot run.
 *
 * @example
 * import { readFileSync } from 'node:fs';
 * import { importOnnx } from '@bigface/resnet-zoo';
 * const model = importOnnx(readFileSync('iresnet50.onnx'));
 * const embedding = model.forward(imagesNhwc);
 * model.dispose();
 */
export function importOnnx(bytes: Uint8Array): OnnxGraphModel {
  return new OnnxGraphModel(decodeOnnxModel(bytes));
}
