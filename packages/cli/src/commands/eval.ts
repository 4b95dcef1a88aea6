import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';
import type { CommandDefinition } from '../command';
import { resolveCliConfig } from '../config/resolve-cli-config';
import { numberOption } from '../parse-command-arguments';
import { evaluationLines } from './run-training';
import { CONFIG_OPTIONS, configSources } from './train-options';

const PROTOCOLS = ['standard', 'masked', 'masked-both'] as const;

export const evalCommand: CommandDefinition = {
  name: 'eval',
  summary: 'Verify a trained backbone: on insightface .bin sets (standard / masked protocols), or on the held-out identities of its run.',
  usage: 'bigface eval <run | checkpoint | backbone.safetensors> [--bin lfw.bin ...] [--protocols standard,masked] [options]',
  positionals: [1, 1],
  options: {
    bin: { type: 'string', multiple: true, value: '<file.bin>', description: 'an insightface verification .bin (repeatable)' },
    protocols: { type: 'string', value: '<list>', description: `protocols among ${PROTOCOLS.join(', ')}`, default: 'standard,masked' },
    'false-match-rate': { type: 'string', value: '<fmr>', description: 'operating point of the Table-2 row', default: '0.0001' },
    'batch-size': { type: 'string', value: '<n>', description: 'images per forward pass', default: '64' },
    folds: { type: 'string', value: '<k>', description: 'folds of the insightface accuracy (--bin sets)', default: '10' },
    pairs: { type: 'string', value: '<n>', description: 'held-out pairs (without --bin)' },
    report: { type: 'string', value: '<dir>', description: 'write roc.svg and table.md there' },
    ...CONFIG_OPTIONS,
  },
  details: `Without --bin the run's config.json (or --config) says which data and held-out identities to use:
the same pairs @bigface/train evaluates (seeded). The masked protocol masks the second face of each pair
(MFR mask-to-nonmask); masked-both masks both.`,
  examples: ['bigface eval runs/synth-tiny-cosface', 'bigface eval model.safetensors --bin lfw.bin --bin cfp_fp.bin --report eval-report/'],
  async run({ positionals, values, reporter, io }) {
    const protocols = String(values.protocols)
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const bad = protocols.filter((p) => !(PROTOCOLS as readonly string[]).includes(p));
    if (bad.length > 0 || protocols.length === 0)
      throw new BigFaceError('USAGE_ERROR', `--protocols: got '${values.protocols}'; expected a comma list of ${PROTOCOLS.join(', ')}`);
    const falseMatchRate = numberOption(values, 'false-match-rate', { min: 0 })!;
    const batchSize = numberOption(values, 'batch-size', { integer: true, min: 1 })!;
    const folds = numberOption(values, 'folds', { integer: true, min: 2 })!;
    const location = path.resolve(io.cwd, positionals[0]!);
    const { initBackend, tf } = await import('@bigface/backend');
    const { loadTrainedBackbone, resolveBackbonePath } = await import('@bigface/train');
    const evaluation = await import('@bigface/eval');
    const backbonePath = resolveBackbonePath(location);
    const bins = (values.bin as string[] | undefined) ?? [];
    let runConfig: Record<string, unknown> | undefined;
    if (bins.length === 0) {
      const configPath = [path.join(location, 'config.json'), path.join(path.dirname(path.dirname(path.dirname(backbonePath))), 'config.json')].find((file) =>
        existsSync(file),
      );
      if (values.config === undefined && configPath === undefined) {
        throw new BigFaceError(
          'USAGE_ERROR',
          `eval: '${positionals[0]}' is not a run directory with config.json; give --bin <file.bin> or --config <preset|file>`,
        );
      }
      runConfig = values.config === undefined ? JSON.parse(readFileSync(configPath!, 'utf8')) : undefined;
    }
    await initBackend({ backend: (values.backend as 'auto' | 'cpu' | 'wasm' | undefined) ?? 'auto' });
    const model = loadTrainedBackbone(backbonePath);
    const embed = (images: import('@tensorflow/tfjs-core').Tensor4D) => model.forward(images);
    const rows: ReturnType<typeof evaluation.verificationReportRow>[] = [];
    const curves: import('@bigface/eval').RocCurveSeries[] = [];
    try {
      if (bins.length > 0) {
        for (const bin of bins) {
          const file = path.resolve(io.cwd, bin);
          const progress = reporter.progress(`eval ${path.basename(bin)}`, protocols.length);
          const report = await evaluation.evaluateVerificationBin(embed, file, {
            protocols: protocols as never,
            imageSize: model.config.inputHeight,
            batchSize,
            folds,
          });
          progress.done();
          const name = path.basename(bin, '.bin');
          for (const [protocol, result] of Object.entries(report.protocols)) {
            if (!result) continue;
            curves.push({ label: `${name} / ${protocol}`, ...result.roc });
            const summary = {
              protocol,
              accuracy: result.insightface.accuracyMean,
              areaUnderRoc: result.areaUnderRoc,
              equalErrorRate: result.equalErrorRate.rate,
              falseNonMatchRate: result.falseNonMatchRate.map((p) => ({
                falseMatchRate: p.falseMatchRate,
                value: typeof p.value === 'number' ? p.value : null,
              })),
            };
            reporter.event({ type: 'evaluation', set: name, pairs: report.pairs, ...summary });
            if (!reporter.json) for (const text of evaluationLines({ step: 0, pairs: report.pairs, summaries: [summary] })) reporter.line(`${name}${text}`);
          }
          rows.push(evaluation.verificationReportRow(name, { masked: report.protocols.masked, standard: report.protocols.standard }, { falseMatchRate }));
        }
      } else {
        const { prepareDataset, buildHeldOutPairs, evaluateHeldOut } = await import('@bigface/train');
        const { resolveTrainConfig } = await import('@bigface/train/config');
        const pairs = numberOption(values, 'pairs', { integer: true, min: 2 });
        const config = runConfig
          ? resolveTrainConfig(pairs ? { ...runConfig, evaluation: { ...(runConfig.evaluation as object), pairs } } : runConfig)
          : resolveCliConfig(configSources(values, io.cwd, pairs ? { evaluation: { pairs } } : undefined)).config;
        const heldProtocols = protocols.filter((p): p is 'standard' | 'masked' => p !== 'masked-both');
        const progress = reporter.progress('eval held-out', 2);
        const prepared = await prepareDataset(config);
        const heldOut = await buildHeldOutPairs(prepared, {
          pairs: config.evaluation.pairs,
          seed: config.seed,
          imageSize: config.data.imageSize,
          protocols: heldProtocols,
        });
        if (heldOut === null)
          throw new BigFaceError(
            'DATA_TOO_FEW_IDENTITIES',
            'eval: the held-out identities cannot form genuine and impostor pairs; raise evaluation.heldOutIdentities',
          );
        progress.update(1);
        const result = evaluateHeldOut(embed, heldOut, { step: 0, epoch: 0, batchSize });
        tf.dispose(Object.values(heldOut.images));
        progress.done();
        reporter.event({ type: 'evaluation', set: 'held-out', pairs: result.pairs, summaries: result.summaries });
        if (!reporter.json) {
          reporter.line(`held-out identities (${result.pairs} pairs):`);
          for (const text of evaluationLines(result)) reporter.line(text);
        }
        for (const [protocol, report] of Object.entries(result.reports)) if (report) curves.push({ label: `held-out / ${protocol}`, ...report.roc });
        rows.push(evaluation.verificationReportRow(config.name, { masked: result.reports.masked, standard: result.reports.standard }, { falseMatchRate }));
      }
      const table = evaluation.verificationReportTable(rows, { falseMatchRate });
      if (!reporter.json) reporter.line(`\n${table}`);
      if (typeof values.report === 'string') {
        const directory = path.resolve(io.cwd, values.report);
        await mkdir(directory, { recursive: true });
        await writeFile(path.join(directory, 'roc.svg'), evaluation.rocCurveSvg(curves, { title: 'ROC' }));
        await writeFile(path.join(directory, 'table.md'), `${table}\n`);
        reporter.line(`report: ${directory}`);
      }
    } finally {
      model.dispose();
    }
  },
};
