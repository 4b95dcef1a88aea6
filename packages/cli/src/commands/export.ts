import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';
import type { CommandDefinition } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { numberOption, requiredString } from '../parse-command-arguments';

/** onnxruntime-node when installed (an optional peer), else null. */
async function loadOnnxRuntime(): Promise<null | {
  InferenceSession: {
    create(bytes: Uint8Array): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> }>;
  };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
}> {
  try {
    const name = 'onnxruntime-node';
    return (await import(name)) as never;
  } catch {
    return null;
  }
}

export const exportCommand: CommandDefinition = {
  name: 'export',
  summary: 'Fold BatchNorm into the convs of a trained backbone and write safetensors and/or ONNX (optionally verified with onnxruntime-node).',
  usage: 'bigface export <run | checkpoint | backbone.safetensors> --output <basename> [--format onnx,safetensors] [--verify]',
  positionals: [1, 1],
  options: {
    output: { type: 'string', short: 'o', value: '<basename>', description: 'output path without extension (.onnx / .safetensors are added)' },
    format: { type: 'string', value: '<list>', description: 'onnx, safetensors or both', default: 'onnx,safetensors' },
    verify: { type: 'boolean', description: 'run the ONNX with onnxruntime-node and compare with the tfjs forward (needs onnxruntime-node installed)' },
    'batch-size': { type: 'string', value: '<n|dynamic>', description: 'ONNX batch axis', default: 'dynamic' },
    backend: { type: 'string', value: '<auto|cpu|wasm>', description: 'tensor backend', default: 'auto' },
    'skip-latency': { type: 'boolean', description: "do not measure the folded model's latency at batch 1" },
  },
  details:
    'The ONNX graph takes NCHW [batch, 3, H, W] images normalised as (x/255 − 0.5)/0.5 (input "input", output "embedding"), like insightface\'s exports. The safetensors file holds the folded tensors (tfjs layout: HWIO convs).',
  examples: ['bigface export runs/synth-tiny-cosface --output exported/tiny --verify'],
  async run({ positionals, values, reporter, io }) {
    const formats = String(values.format)
      .split(',')
      .map((format) => format.trim())
      .filter(Boolean);
    const unknown = formats.filter((format) => format !== 'onnx' && format !== 'safetensors');
    if (unknown.length > 0 || formats.length === 0)
      throw new BigFaceError('USAGE_ERROR', `--format: got '${values.format}'; expected onnx, safetensors or onnx,safetensors`);
    const batchSize = values['batch-size'] === 'dynamic' ? 'dynamic' : numberOption(values, 'batch-size', { integer: true, min: 1 })!;
    const base = path.resolve(io.cwd, requiredString(values, 'output', 'the output basename, e.g. exported/model'));
    const { initBackend, tf, tensorsToSafetensors } = await import('@bigface/backend');
    const { foldBatchNorm, exportOnnx } = await import('@bigface/resnet-zoo');
    const { loadTrainedBackbone, resolveBackbonePath } = await import('@bigface/train');
    const backendInfo = await initBackend({ backend: values.backend as 'auto' | 'cpu' | 'wasm' });
    const source = resolveBackbonePath(path.resolve(io.cwd, positionals[0]!));
    const model = loadTrainedBackbone(source);
    const folded = foldBatchNorm(model);
    const written: Record<string, string> = {};
    let code: number = EXIT_CODES.ok;
    try {
      await mkdir(path.dirname(base), { recursive: true });
      const { config } = model;
      const metadata = {
        format: 'bigface-folded-iresnet',
        layers: JSON.stringify(config.layers),
        widths: JSON.stringify(config.widths),
        embeddingSize: String(config.embeddingSize),
        inputSize: JSON.stringify([config.inputHeight, config.inputWidth]),
        source,
      };
      if (formats.includes('safetensors')) {
        written.safetensors = `${base}.safetensors`;
        await writeFile(written.safetensors, tensorsToSafetensors(new Map(folded.tensors), metadata));
      }
      let onnx: Uint8Array | null = null;
      if (formats.includes('onnx') || values.verify) onnx = exportOnnx(folded, { batchSize });
      if (formats.includes('onnx')) {
        written.onnx = `${base}.onnx`;
        await writeFile(written.onnx, onnx!);
      }
      let verification: Record<string, unknown> | null = null;
      if (values.verify) {
        const runtime = await loadOnnxRuntime();
        if (runtime === null) {
          reporter.warn('--verify: onnxruntime-node is not installed (npm i onnxruntime-node); skipped');
          verification = { skipped: 'onnxruntime-node not installed' };
        } else {
          const batch = batchSize === 'dynamic' ? 2 : batchSize;
          const [height, width] = [config.inputHeight, config.inputWidth];
          const nhwc = tf.randomUniform([batch, height, width, 3], -1, 1, 'float32', 7) as import('@tensorflow/tfjs-core').Tensor4D;
          const expected = folded.forward(nhwc);
          const unfolded = model.forward(nhwc);
          const nchw = tf.transpose(nhwc, [0, 3, 1, 2]);
          const session = await runtime.InferenceSession.create(onnx!);
          const outputs = await session.run({ input: new runtime.Tensor('float32', nchw.dataSync() as Float32Array, [batch, 3, height, width]) });
          const actual = outputs.embedding!.data;
          const reference = expected.dataSync();
          const unfoldedValues = unfolded.dataSync();
          let onnxDifference = 0;
          let foldDifference = 0;
          let scale = 0;
          for (let i = 0; i < reference.length; i++) {
            onnxDifference = Math.max(onnxDifference, Math.abs(actual[i]! - reference[i]!));
            foldDifference = Math.max(foldDifference, Math.abs(unfoldedValues[i]! - reference[i]!));
            scale = Math.max(scale, Math.abs(reference[i]!));
          }
          tf.dispose([nhwc, expected, unfolded, nchw]);
          const tolerance = 1e-4 * Math.max(1, scale);
          verification = {
            batch,
            maxAbsDifferenceOnnx: onnxDifference,
            maxAbsDifferenceFolding: foldDifference,
            maxAbsOutput: scale,
            tolerance,
            ok: onnxDifference <= tolerance && foldDifference <= tolerance,
          };
          if (!verification.ok) code = EXIT_CODES.failure;
        }
      }
      // What the deck folded BN for: the FRUITS-1000 protocol allows 1000 ms per image.
      let latency: { millisecondsPerImage: number; runs: number; backend: string } | null = null;
      if (!values['skip-latency']) {
        const image = tf.randomUniform([1, config.inputHeight, config.inputWidth, 3], -1, 1, 'float32', 3) as import('@tensorflow/tfjs-core').Tensor4D;
        const once = () => {
          const started = performance.now();
          folded.forward(image).dispose();
          return performance.now() - started;
        };
        once(); // warm-up: primitive creation, weight reorders
        const times: number[] = [];
        const until = performance.now() + 2000;
        while (times.length < 3 || (times.length < 20 && performance.now() < until)) times.push(once());
        image.dispose();
        times.sort((a, b) => a - b);
        latency = { millisecondsPerImage: times[Math.floor(times.length / 2)]!, runs: times.length, backend: backendInfo.description };
      }
      const lines = [`exported ${source}`, ...Object.entries(written).map(([format, file]) => `  ${format}: ${file}`)];
      if (latency) {
        lines.push(
          `  latency: ${latency.millisecondsPerImage.toFixed(1)} ms per image at batch 1 (median of ${latency.runs}, ${latency.backend}; the FRUITS-1000 protocol allows 1000 ms)`,
        );
      }
      if (verification && !('skipped' in verification)) {
        lines.push(
          `  verify: onnxruntime vs tfjs max |Δ| ${(verification.maxAbsDifferenceOnnx as number).toExponential(2)}, folded vs unfolded ${(verification.maxAbsDifferenceFolding as number).toExponential(2)} (tolerance ${(verification.tolerance as number).toExponential(1)}) ${verification.ok ? 'ok' : 'FAILED'}`,
        );
      }
      reporter.result({ source, files: written, verification, latency }, lines.join('\n'));
      return code;
    } finally {
      folded.dispose();
      model.dispose();
    }
  },
};
