import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '@bigface/backend';
import { IResNet, saveIResNet } from '@bigface/resnet-zoo';
import { memoryIo, run } from '@bigface/cli';

describe('bigface export', () => {
  it('writes a BN-folded ONNX that onnxruntime-node runs to the tfjs output', async () => {
    await initBackend({ backend: 'cpu' });
    const root = mkdtempSync(path.join(tmpdir(), 'bigface-cli-export-'));
    const model = IResNet.create({ layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 32, inputSize: 32 }, { seed: 3 });
    // Non-trivial running statistics, so that folding has something to fold.
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    for (let i = 0; i < 3; i++) tf.dispose(model.forward(x, { training: true }));
    saveIResNet(model, path.join(root, 'backbone.safetensors'));
    const expected = model.forward(x);

    const io = memoryIo({ cwd: root });
    const code = await run(['export', 'backbone.safetensors', '--output', 'out/tiny', '--verify', '--backend', 'cpu', '--json'], io);
    expect(code, io.errors()).toBe(0);
    const result = JSON.parse(io.output().trim());
    expect(result.verification.ok).toBe(true);
    // The measured batch-1 latency of the model it wrote (a number, not a speed claim).
    expect(result.latency.millisecondsPerImage).toBeGreaterThan(0);
    expect(result.latency.runs).toBeGreaterThanOrEqual(3);
    expect(result.latency.backend).toMatch(/^cpu/);
    expect(result.files).toEqual({ safetensors: path.join(root, 'out/tiny.safetensors'), onnx: path.join(root, 'out/tiny.onnx') });

    // Independently of the command's own check: onnxruntime on the written file vs the unfolded model.
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(readFileSync(path.join(root, 'out/tiny.onnx')));
    const nchw = tf.transpose(x, [0, 3, 1, 2]);
    const output = await session.run({ input: new ort.Tensor('float32', nchw.dataSync() as Float32Array, [4, 3, 32, 32]) });
    const actual = output.embedding!.data as Float32Array;
    const reference = expected.dataSync();
    let difference = 0;
    for (let i = 0; i < reference.length; i++) difference = Math.max(difference, Math.abs(actual[i]! - reference[i]!));
    expect(actual.length).toBe(4 * 32);
    expect(difference).toBeLessThan(1e-3);
    tf.dispose([x, expected, nchw]);
    model.dispose();
  });
});
