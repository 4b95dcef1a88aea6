import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '@bigface/backend';
import { evaluateVerificationBin } from '@bigface/eval';
import { loadIResNet } from '@bigface/resnet-zoo';
import { memoryIo, run } from '@bigface/cli';
import { referenceFile, tinyBinReference } from '../../../test-support/reference';

describe('bigface eval --bin', () => {
  it('evaluates the PyTorch reference IResNet on insightface tiny.bin, as @bigface/eval does directly', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'bigface-cli-eval-'));
    const io = memoryIo({ cwd: root });
    const model = referenceFile('iresnet-quarter-1111.safetensors');
    const code = await run(
      ['eval', model, '--bin', referenceFile('tiny.bin'), '--folds', '2', '--false-match-rate', '0.5', '--backend', 'cpu', '--report', 'report', '--json'],
      io,
    );
    expect(code, io.errors()).toBe(0);
    const events = io
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((event) => event.type === 'evaluation');
    const { pairs } = tinyBinReference(); // CPython's count of tiny.bin's pairs
    expect(events.map((event) => [event.set, event.protocol, event.pairs])).toEqual([
      ['tiny', 'standard', pairs],
      ['tiny', 'masked', pairs],
    ]);
    expect(existsSync(path.join(root, 'report', 'roc.svg'))).toBe(true);
    expect(existsSync(path.join(root, 'report', 'table.md'))).toBe(true);

    // The same evaluation called directly on the library gives the same numbers.
    await initBackend({ backend: 'cpu' });
    const network = loadIResNet(model);
    const direct = await evaluateVerificationBin((x) => network.forward(x), referenceFile('tiny.bin'), {
      protocols: ['standard', 'masked'],
      imageSize: network.config.inputHeight,
      folds: 2,
    });
    expect(events[0].accuracy).toBe(direct.protocols.standard!.insightface.accuracyMean);
    expect(events[1].areaUnderRoc).toBe(direct.protocols.masked!.areaUnderRoc);
    network.dispose();
  });
});
