import { describe, expect, it } from 'vitest';
import { COMMANDS, EXIT_CODES, memoryIo, run } from '@bigface/cli';

async function cli(argv: string[], options: Parameters<typeof memoryIo>[0] = {}) {
  const io = memoryIo(options);
  const code = await run(argv, io);
  return { code, out: io.output(), err: io.errors() };
}

describe('bigface (in-process)', () => {
  it('prints --help for every command and subcommand', async () => {
    const main = await cli(['--help']);
    expect(main.code).toBe(0);
    for (const command of COMMANDS) {
      expect(main.out).toContain(command.name);
      const help = await cli([command.name, '--help']);
      expect(help.code, command.name).toBe(0);
      expect(help.out).toMatch(/^Usage: bigface /);
      for (const sub of command.subcommands ?? []) {
        const subHelp = await cli([...sub.name.split(' '), '--help']);
        expect(subHelp.code, sub.name).toBe(0);
        expect(subHelp.out).toContain(`Usage: ${sub.usage}`);
      }
    }
    expect((await cli(['help', 'plan'])).out).toContain('Usage: bigface plan');
  });

  it('answers an unknown command or flag with the valid ones and a close match (exit 2)', async () => {
    const command = await cli(['trian']);
    expect(command.code).toBe(EXIT_CODES.usage);
    expect(command.err).toContain("error [USAGE_ERROR]: unknown command 'trian' (did you mean 'train'?); commands: train, distill, eval");
    const flag = await cli(['plan', '--modle', 'r18']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("unknown option '--modle' (did you mean --model?); valid options:");
    expect(flag.err).toContain('--gpu-memory');
    const sub = await cli(['data', 'pak']);
    expect(sub.err).toContain("(did you mean 'data pack'?)");
    expect((await cli(['plan', '--model'])).err).toContain('option --model needs a value');
    expect((await cli(['zoo', 'extra'])).err).toContain('expected 0 arguments, got 1');
  });

  it('prints a BigFaceError as one line, the stack only with --verbose', async () => {
    const quiet = await cli(['mask', '/nonexistent/faces', '--output', '/tmp/x']);
    expect(quiet.code).toBe(EXIT_CODES.data);
    expect(quiet.err.trim().split('\n')).toEqual([
      "error [INPUT_NOT_FOUND]: mask: input '/nonexistent/faces' does not exist; give a folder of images or a train.rec",
    ]);
    const verbose = await cli(['mask', '/nonexistent/faces', '--output', '/tmp/x', '--verbose']);
    expect(verbose.err).toMatch(/\n\s+at /);
    const json = await cli(['eval', '/nonexistent/run', '--json']);
    expect(json.code).toBe(EXIT_CODES.data);
    expect(JSON.parse(json.out.trim())).toMatchObject({ type: 'error', code: 'CHECKPOINT_NOT_FOUND', exitCode: 3 });
  });

  it("lists the zoo with resnet-zoo's published counts (issue 4)", async () => {
    const { code, out } = await cli(['zoo', '--json']);
    expect(code).toBe(0);
    const rows = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .map((row) => [row.name, row]),
    );
    // Published parameter counts (PyTorch sum(p.numel())) and GFLOPs of the resnet-zoo README table.
    const published: Record<string, [number, number, number]> = {
      r18: [24_025_600, 5.2, 18],
      r34: [34_139_328, 8.9, 34],
      r50: [43_590_848, 12.6, 50],
      r100: [65_156_160, 24.2, 100],
      r200: [118_833_920, 46.8, 198],
      r240: [137_229_376, 56.5, 240],
      r600: [306_490_816, 138.4, 594],
      r2060: [1_122_301_120, 477.8, 2062],
    };
    for (const [name, [parameters, gflops, depth]] of Object.entries(published)) {
      expect(rows[name].parameters, name).toBe(parameters);
      expect(rows[name].gflops, name).toBeCloseTo(gflops, 1);
      expect(rows[name].depth, name).toBe(depth);
    }
    expect(rows.r240.layers).toEqual([3, 25, 88, 3]);
    const table = await cli(['zoo']);
    expect(table.out).toMatch(/r18\s+\[2, 2, 2, 2\]\s+18\s+24,025,600\s+5\.2/);
  });

  it('plans r600 on 64 × 32 GiB GPUs', async () => {
    const { code, out } = await cli(['plan', '--model', 'r600', '--classes', '2059906', '--gpus', '64', '--gpu-memory', '32GiB', '--batch', '256']);
    expect(code).toBe(0);
    expect(out).toContain('32,187 centres per rank');
    expect(out).toMatch(/does not fit as asked .* fits with .*checkpointing per block/);
    const json = await cli(['plan', '--preset', 'webface42m-r240-cosface', '--gpus', '8', '--gpu-memory', '80GB', '--json']);
    const { plan } = JSON.parse(json.out.trim());
    expect(plan).toMatchObject({ model: 'r240', classes: 2_059_906, batch: 256, classesPerRank: Math.ceil(2_059_906 / 8) });
  });

  it('prints the resolved config; config errors exit 2 naming the key', async () => {
    const printed = await cli([
      'train',
      '--config',
      'webface42m-r240-distill',
      '--world-size',
      '8',
      '--set',
      'data.path=/data/wf42m/train.rec',
      '--print-config',
    ]);
    expect(printed.code).toBe(0);
    expect(printed.out).toContain('lambda: 9');
    expect(printed.out).toMatch(/worldSize: 8/);
    expect(printed.out).toContain('path: /data/wf42m/train.rec');
    const badKey = await cli(['train', '--config', 'synth-tiny-cosface', '--set', 'optimizer.learningRate=0.1', '--print-config']);
    expect(badKey.code).toBe(2);
    expect(badKey.err).toContain('optimizer.learningRate: got an unknown key');
    expect(badKey.err).toContain('expected one of lr, referenceBatch, momentum, weightDecay, trustCoefficient');
    const badValue = await cli(['train', '--config', 'synth-tiny-cosface', '--set', 'model.checkpointing=sometimes', '--print-config']);
    expect(badValue.err).toContain("model.checkpointing: got 'sometimes'; expected one of 'none', 'stage', 'block'");
    const preset = await cli(['train', '--config', 'synth-tiny', '--print-config']);
    expect(preset.code).toBe(2);
    expect(preset.err).toContain("unknown preset 'synth-tiny' (did you mean 'synth-tiny-cosface'?)");
    const list = await cli(['train', '--list-presets']);
    expect(list.out).toContain('webface42m-r600-teacher');
  });

  it('distill wires the teacher and λ into the config', async () => {
    const printed = await cli(['distill', '--config', 'synth-tiny-cosface', '--teacher', '/runs/teacher', '--lambda', '3', '--print-config', '--json']);
    expect(printed.code, printed.err).toBe(0);
    const { config } = JSON.parse(printed.out.trim());
    expect(config.distill).toMatchObject({ lambda: 3, teacher: { checkpoint: '/runs/teacher' } });
    const preset = await cli(['distill', '--config', 'webface42m-r240-distill', '--teacher-cache', '/cache/t', '--print-config', '--json']);
    expect(JSON.parse(preset.out.trim()).config.distill.teacher).toEqual({ cache: '/cache/t', model: { name: 'r600' } });
    const missing = await cli(['distill', '--config', 'synth-tiny-cosface', '--print-config']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('distill: no teacher');
  });
});
