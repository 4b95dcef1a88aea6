import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { initBackend, isBigFaceError, tf } from '@bigface/backend';
import { exportOnnx } from './export-onnx';
import { foldBatchNorm } from './fold-batch-norm';
import { importOnnx } from './import-onnx';
import { IResNet } from './iresnet';
import { decodeOnnxModel, encodeOnnxModel } from './onnx/onnx-proto';
import { quarterInputNhwc, quarterOnnx, quarterOptions, quarterReference, quarterStateDict, relativeError } from '../test/reference';
import { randomImages, tinyModel } from '../test/tiny';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

async function runOnnxRuntime(bytes: Uint8Array, imagesNhwc: tf.Tensor4D): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const nchw = tf.transpose(imagesNhwc, [0, 3, 1, 2]);
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', nchw.dataSync() as Float32Array, nchw.shape) };
  nchw.dispose();
  const result = await session.run(feeds);
  const output = result[session.outputNames[0]!]!.data as Float32Array;
  await session.release();
  return output;
}

describe('importOnnx', () => {
  it("runs PyTorch's export of the reference IResNet and reproduces its output within 1e-4 relative", () => {
    const reference = quarterReference();
    const model = importOnnx(quarterOnnx());
    expect(model.inputs[0]!.shape).toEqual(['batch', ...reference.input_shape.slice(1)]);
    const input = quarterInputNhwc(reference);
    const before = tf.memory().numTensors;
    const output = model.forward(input);
    expect(output.shape).toEqual([reference.input_shape[0], reference.embedding_size]);
    expect(relativeError(output.dataSync(), reference.output)).toBeLessThan(1e-4);
    output.dispose();
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    model.dispose();
  });

  it('names the operator it cannot run', () => {
    const proto = decodeOnnxModel(quarterOnnx());
    proto.graph.nodes[1]!.opType = 'LpNormalization';
    try {
      importOnnx(encodeOnnxModel(proto));
      expect.unreachable();
    } catch (error) {
      expect(isBigFaceError(error, 'ONNX_UNSUPPORTED')).toBe(true);
      expect((error as Error).message).toMatch(/operator 'LpNormalization' .* supported operators are Add, BatchNormalization, Conv/);
    }
    expect(() => importOnnx(new Uint8Array([0x0a, 0xff]))).toThrow(/not a valid ONNX model/);
  });

  it('decodes and re-encodes the reference file without losing anything it uses', () => {
    const proto = decodeOnnxModel(quarterOnnx());
    const again = decodeOnnxModel(encodeOnnxModel(proto));
    expect(again.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs, [...n.attributes]])).toEqual(
      proto.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs, [...n.attributes]]),
    );
    expect(again.graph.initializers.map((t) => [t.name, t.dims, t.data.length])).toEqual(proto.graph.initializers.map((t) => [t.name, t.dims, t.data.length]));
    expect(again.opsetImports).toEqual(proto.opsetImports);
  });
});

describe('exportOnnx', () => {
  it('writes the folded model; onnxruntime-node agrees with our forward within 1e-4 at two batch sizes', async () => {
    const model = tinyModel(8);
    const bytes = exportOnnx(model);
    const proto = decodeOnnxModel(bytes);
    expect(proto.graph.inputs[0]!.shape).toEqual(['batch', 3, 16, 16]);
    expect(proto.graph.nodes.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    for (const batch of [1, 3]) {
      const images = randomImages(batch, 16, 20 + batch);
      const ours = model.forward(images);
      const theirs = await runOnnxRuntime(bytes, images);
      expect(theirs.length).toBe(batch * 16);
      expect(relativeError(theirs, ours.dataSync())).toBeLessThan(1e-4);
      tf.dispose([ours, images]);
    }
    model.dispose();
  });

  it('exports the reference weights so that onnxruntime and our ONNX import reproduce the PyTorch output', async () => {
    const reference = quarterReference();
    const imported = importOnnx(quarterOnnx());
    const model = IResNet.create(quarterOptions(reference));
    const record = quarterStateDict();
    model.loadStateDict(record);
    const folded = foldBatchNorm(model);
    const exported = exportOnnx(folded);
    const input = quarterInputNhwc(reference);
    const fromRuntime = await runOnnxRuntime(exported, input);
    expect(relativeError(fromRuntime, reference.output)).toBeLessThan(1e-4);
    const roundTrip = importOnnx(exported);
    const [a, b] = [roundTrip.forward(input), imported.forward(input)];
    expect(relativeError(a.dataSync(), reference.output)).toBeLessThan(1e-4);
    expect(relativeError(b.dataSync(), reference.output)).toBeLessThan(1e-4);
    tf.dispose([a, b, input]);
    roundTrip.dispose();
    imported.dispose();
    folded.dispose();
    model.dispose();
  });
});
