import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TrainConfig, TrainResult } from '@bigface/train';
import type { CommandContext, CommandDefinition } from '../command';
import { resolveCliConfig } from '../config/resolve-cli-config';
import { EXIT_CODES } from '../exit-codes';
import { numberOption } from '../parse-command-arguments';
import { distillationVerdictText } from '../report/distillation-verdict-text';
import { verifyRuns } from '../replicate/verify-runs';
import { runTraining } from './run-training';
import { readRunMetrics } from '../report/read-run-metrics';
import type { SynthExperimentSizes } from '../replicate/replicate-plan';

/** The sizes of one demo: full (≤ 5 min on 2 cores with native kernels) or quick (~1 min). */
export interface DemoPlan extends SynthExperimentSizes {
  /** Epochs of each student, and of the teacher (trained longer, as the deck's teacher is trained on its own). */
  epochs: number;
  teacherEpochs: number;
  steps?: number;
  /** The FMR of the table and the verdict. */
  falseMatchRate: number;
}

/** Full and quick demo sizes. */
export const DEMO_PLANS: Record<'full' | 'quick', DemoPlan> = {
  full: {
    identities: 64,
    imagesPerIdentity: 8,
    heldOutIdentities: 64,
    facesPerHeldOutIdentity: 6,
    impostors: 20_000,
    imageSize: 48,
    perRank: 32,
    epochs: 8,
    teacherEpochs: 16,
    falseMatchRate: 1e-2,
    replicates: 2000,
    student: { layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64 },
    teacher: { layers: [2, 2, 2, 2], widthMultiplier: 0.5, embeddingSize: 64 },
  },
  quick: {
    identities: 12,
    imagesPerIdentity: 4,
    heldOutIdentities: 8,
    facesPerHeldOutIdentity: 4,
    impostors: 300,
    imageSize: 32,
    perRank: 8,
    epochs: 1,
    teacherEpochs: 1,
    steps: 3,
    falseMatchRate: 1e-1,
    replicates: 200,
    student: { layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 32 },
    teacher: { layers: [1, 1, 1, 1], widthMultiplier: 0.375, embeddingSize: 32 },
  },
};

interface RunSummary {
  label: string;
  config: TrainConfig;
  result: TrainResult;
  seconds: number;
  losses: [number, number][];
  imagesPerSecond: number;
}

function format(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const demoCommand: CommandDefinition = {
  name: 'demo',
  summary: 'The end-to-end BigFace demo on SynthFaces: a teacher and two students (plain, distilled), masked/standard verification, an HTML report.',
  usage: 'bigface demo [--quick] [--output <dir>]',
  options: {
    quick: { type: 'boolean', description: 'a ~1 minute version (tiny data, a few steps): checks the wiring, not the numbers' },
    output: { type: 'string', short: 'o', value: '<dir>', description: 'where the data cache, the runs and report/ go', default: 'bigface-demo' },
    seed: { type: 'string', value: '<n>', description: 'the one seed', default: '0' },
    backend: { type: 'string', value: '<auto|cpu|wasm>', description: 'tensor backend (auto: native kernels when built, else wasm)', default: 'auto' },
    epochs: { type: 'string', value: '<n>', description: 'override the epochs of each run' },
  },
  details: `Generates SynthFaces (cached under <output>/cache), trains a teacher IResNet (bigger, and trained twice
as long) and two smaller students (plain, and distilled from the teacher with λ 9) with CosFace m 0.4 s 64 +
PartialFC over W = 2 ranks + LARS + masks at ratio 0.35, verifies all three on the same standard and masked
pairs of held-out identities, and writes <output>/report/index.html and report.md: loss curves, ROC curves, a
Table-2-like FNMR@FMR table with 95 % intervals (bootstrap over identities), the paired differences that say
whether the teacher is stronger and whether distillation helped, and a contact sheet of masked samples.`,
  examples: ['bigface demo', 'bigface demo --quick --output /tmp/demo'],
  async run(context) {
    const { values, reporter, io } = context;
    const quick = values.quick === true;
    const plan = { ...DEMO_PLANS[quick ? 'quick' : 'full'] };
    const epochs = numberOption(values, 'epochs', { min: 0 });
    if (epochs !== undefined) [plan.epochs, plan.teacherEpochs] = [epochs, (epochs * plan.teacherEpochs) / plan.epochs];
    const seed = numberOption(values, 'seed', { integer: true, min: 0 })!;
    const output = path.resolve(io.cwd, String(values.output));
    const reportDirectory = path.join(output, 'report');
    await mkdir(reportDirectory, { recursive: true });
    const started = performance.now();
    const loadAtStart = os.loadavg()[0]!;

    const base = (name: string, model: DemoPlan['student'], runEpochs: number, extra: Record<string, unknown> = {}) =>
      resolveCliConfig({
        config: 'synth-tiny-cosface',
        overrides: {
          name,
          outputDir: path.join(output, 'runs', name),
          seed,
          backend: values.backend,
          data: {
            source: 'synth',
            identities: plan.identities,
            imagesPerIdentity: plan.imagesPerIdentity,
            cacheDir: path.join(output, 'cache'),
            imageSize: plan.imageSize,
            mask: { ratio: 0.35 },
          },
          model,
          batch: { perRank: plan.perRank },
          distributed: { worldSize: 2 },
          schedule: { epochs: runEpochs, warmupEpochs: runEpochs / 8, milestones: [runEpochs * 0.75], ...(plan.steps ? { steps: plan.steps } : {}) },
          // The run's own end-of-training check is small; the demo verifies all three models afterwards on the same, larger pair set.
          evaluation: { everySteps: 0, heldOutIdentities: plan.heldOutIdentities, pairs: 200, protocols: ['standard'], batchSize: 64 },
          checkpoint: { everySteps: 0, keepLast: 1 },
          log: { everySteps: 1 },
          ...extra,
        },
        cwd: io.cwd,
      }).config;

    const teacherConfig = base('teacher', plan.teacher, plan.teacherEpochs);
    const studentConfig = base('student', plan.student, plan.epochs);
    const distilledConfig = base('student-distilled', plan.student, plan.epochs, { distill: { teacher: { checkpoint: teacherConfig.outputDir }, lambda: 9 } });

    // 1. Data (generated once, then cached).
    const { prepareDataset } = await import('@bigface/train');
    const dataStarted = performance.now();
    reporter.line(
      `[1/5] SynthFaces: ${plan.identities} training identities × ${plan.imagesPerIdentity} images + ${plan.heldOutIdentities} held-out identities (cache ${teacherConfig.data.source === 'synth' ? teacherConfig.data.cacheDir : ''})`,
    );
    const prepared = await prepareDataset(teacherConfig);
    const dataSeconds = (performance.now() - dataStarted) / 1000;
    reporter.event({ type: 'demo-stage', stage: 'data', seconds: dataSeconds, description: prepared.description });

    // 2-4. Teacher, plain student, distilled student.
    const runs: RunSummary[] = [];
    const steps: [string, TrainConfig, string][] = [
      ['teacher', teacherConfig, `[2/5] teacher (${plan.teacherEpochs} epochs)`],
      ['student', studentConfig, `[3/5] student (plain, ${plan.epochs} epochs)`],
      ['student-distilled', distilledConfig, `[4/5] student distilled from the teacher (λ 9, ${plan.epochs} epochs)`],
    ];
    for (const [label, config, title] of steps) {
      reporter.line(
        `${title}: IResNet [${config.model.layers?.join(',')}] ×${config.model.widthMultiplier}, ${config.model.embeddingSize}-d, ${config.data.imageSize}×${config.data.imageSize}, W = ${config.distributed.worldSize}`,
      );
      await rm(config.outputDir, { recursive: true, force: true });
      const runStarted = performance.now();
      const { code, result } = await runTraining(context as CommandContext, config, { resume: false, label });
      if (code !== EXIT_CODES.ok) return code;
      const { losses, imagesPerSecond } = readRunMetrics(result.metricsPath);
      runs.push({ label, config, result, seconds: (performance.now() - runStarted) / 1000, losses, imagesPerSecond });
    }

    // 5. Verification of all three on the same held-out pairs, intervals over identities, report.
    reporter.line('[5/5] verification and report');
    const { initBackend } = await import('@bigface/backend');
    const evaluation = await import('@bigface/eval');
    const { makeContactSheet } = await import('@bigface/mask-synth');
    const { RecordDataset } = await import('@bigface/data');
    await initBackend({ backend: values.backend as 'auto' | 'cpu' | 'wasm' });
    const verified = await verifyRuns(
      prepared,
      runs.map((run) => ({ name: run.label, directory: run.result.outputDir })),
      {
        facesPerIdentity: plan.facesPerHeldOutIdentity,
        impostors: plan.impostors,
        seed,
        imageSize: plan.imageSize,
      },
    );
    const { set } = verified;
    const { falseMatchRate } = plan;
    const boot = evaluation.bootstrapFalseNonMatchRates([set], { falseMatchRates: [falseMatchRate], replicates: plan.replicates, seed });
    const fnmr = (label: string) => ({
      masked: boot.estimate(`${label}/masked`, falseMatchRate),
      standard: boot.estimate(`${label}/standard`, falseMatchRate),
    });
    const interval = (contrast: Record<string, number>) => {
      const result = boot.interval(contrast, falseMatchRate);
      return { estimate: result.estimate, low: result.low, high: result.high };
    };
    const difference = (candidate: string, reference: string) => ({
      masked: interval({ [`${candidate}/masked`]: 1, [`${reference}/masked`]: -1 }),
      standard: interval({ [`${candidate}/standard`]: 1, [`${reference}/standard`]: -1 }),
    });
    const cells = runs.map((run) => ({
      model: run.label,
      masked: interval({ [`${run.label}/masked`]: 1 }),
      standard: interval({ [`${run.label}/standard`]: 1 }),
    }));
    const cellText = (cell: { estimate: number; low: number; high: number }) => `${cell.estimate.toFixed(4)} [${cell.low.toFixed(4)}, ${cell.high.toFixed(4)}]`;
    const table = [
      `| model | FNMR@FMR=${falseMatchRate} (masked) | FNMR@FMR=${falseMatchRate} (standard) |`,
      '|---|---:|---:|',
      ...cells.map((cell) => `| ${cell.model} | ${cellText(cell.masked)} | ${cellText(cell.standard)} |`),
    ].join('\n');
    const differences = { teacherVsPlain: difference('teacher', 'student'), distilledVsPlain: difference('student-distilled', 'student') };
    const verdict = distillationVerdictText({
      models: { teacher: fnmr('teacher'), plain: fnmr('student'), distilled: fnmr('student-distilled') },
      differences,
      verdict: evaluation.distillationVerdict(differences),
      falseMatchRate,
    });
    const rocSvgs: Record<string, string> = {};
    const metricsRows: { run: RunSummary; protocol: 'standard' | 'masked'; areaUnderRoc: number; equalErrorRate: number }[] = [];
    for (const protocol of ['standard', 'masked'] as const) {
      const curves = runs.map((run) => {
        const scores = set.scores[`${run.label}/${protocol}`]!;
        metricsRows.push({
          run,
          protocol,
          areaUnderRoc: evaluation.areaUnderRoc(scores, set.issame),
          equalErrorRate: evaluation.equalErrorRate(scores, set.issame).rate,
        });
        return { label: run.label, ...evaluation.rocCurve(scores, set.issame) };
      });
      rocSvgs[protocol] = evaluation.rocCurveSvg(curves, {
        title: `ROC, ${protocol} pairs (held-out identities)`,
        minFalseAcceptRate: Math.max(1e-6, 1 / Math.max(1, verified.impostors)),
      });
    }
    const lossSvg = evaluation.lossCurvesSvg(
      runs.map((run) => ({ label: run.label, points: run.losses })),
      { title: 'training loss (CosFace + λ·distillation for the distilled student)' },
    );
    await writeFile(path.join(reportDirectory, 'loss.svg'), lossSvg);
    for (const [protocol, svg] of Object.entries(rocSvgs)) await writeFile(path.join(reportDirectory, `roc-${protocol}.svg`), svg);

    // Contact sheet of held-out faces: original, textured and natural masks.
    const dataset = RecordDataset.open((prepared.source as { recordPath: string }).recordPath);
    const faces: { image: Buffer }[] = [];
    try {
      const seen = new Set<number>();
      prepared.heldOutIndices.forEach((index, i) => {
        const label = prepared.heldOutLabels[i]!;
        if (faces.length < 6 && !seen.has(label)) {
          seen.add(label);
          faces.push({ image: dataset.read(index).image });
        }
      });
    } finally {
      dataset.close();
    }
    await writeFile(path.join(reportDirectory, 'contact-sheet.png'), await makeContactSheet(faces, { seed }));

    const totalSeconds = (performance.now() - started) / 1000;
    const load = `load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end`;
    const machine = `${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'}), ${load}, Node ${process.version}, backend ${[...new Set(runs.map((run) => run.result.backend))].join(' / ')} per rank`;
    const modelText = (config: TrainConfig) => `IResNet [${config.model.layers?.join(', ')}] ×${config.model.widthMultiplier}, ${config.model.embeddingSize}-d`;
    const epochsOf = (run: RunSummary) => (run.label === 'teacher' ? plan.teacherEpochs : plan.epochs);
    const pairsText = `${verified.faces} faces of ${verified.identities} held-out identities: ${verified.genuine} genuine and ${verified.impostors} impostor pairs`;
    const intervalText = `95 % intervals: bootstrap over held-out identities (${plan.replicates} replicates); the differences are paired (every model on the same pairs, under the same resampling).`;

    const md: string[] = [
      `# BigFace demo${quick ? ' (quick)' : ''}`,
      '',
      `SynthFaces: ${prepared.description}; images ${plan.imageSize}×${plan.imageSize}. Recipe: CosFace m 0.4 s 64, PartialFC over W = 2 ranks (no sampling), LARS (lr scaled from the global batch ${plan.perRank * 2}), warm-up + multi-step, masks at ratio 0.35; distilled student: + 9·||s/|s| − t/|t|||². The teacher is bigger and trained ${plan.teacherEpochs} epochs (the students ${plan.epochs}), as the deck's teacher is trained on its own before distillation.`,
      `Machine: ${machine}. Total ${totalSeconds.toFixed(0)} s (data ${dataSeconds.toFixed(1)} s).`,
      '',
      '| run | model | epochs | steps | time (s) | img/s | final loss |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...runs.map(
        (run) =>
          `| ${run.label} | ${modelText(run.config)} | ${epochsOf(run)} | ${run.result.steps} | ${run.seconds.toFixed(0)} | ${run.imagesPerSecond.toFixed(1)} | ${format(run.result.finalMetrics?.loss, 3)} |`,
      ),
      '',
      `## Verification on held-out identities (${pairsText}; masked = second face of each pair masked)`,
      '',
      `Table 2 layout, FNMR at FMR = ${falseMatchRate} with its 95 % interval (the deck reports 1e-4 on millions of pairs). ${intervalText}`,
      '',
      table,
      '',
      '| run | protocol | AUC | EER |',
      '|---|---|---:|---:|',
      ...metricsRows.map(
        ({ run, protocol, areaUnderRoc, equalErrorRate }) => `| ${run.label} | ${protocol} | ${format(areaUnderRoc)} | ${format(equalErrorRate)} |`,
      ),
      '',
      `**${verdict}**`,
      '',
      '![training loss](loss.svg)',
      '',
      ...Object.keys(rocSvgs).map((protocol) => `![ROC ${protocol}](roc-${protocol}.svg)`),
      '',
      '## Masked samples (original, textured synthesizer, natural synthesizer)',
      '',
      '![contact sheet](contact-sheet.png)',
      '',
      `Runs: ${runs.map((run) => `\`${run.result.outputDir}\``).join(', ')}.`,
      '',
    ];
    await writeFile(path.join(reportDirectory, 'report.md'), md.join('\n'));

    const htmlTable = (headers: string[], body: string[][]) =>
      `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BigFace demo</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}.verdict{background:#f5f5dc;padding:.8em}figure{margin:1em 0}</style></head>
<body>
<h1>BigFace demo${quick ? ' (quick)' : ''}</h1>
<p>${escapeHtml(md[2]!)}</p>
<p>${escapeHtml(md[3]!)}</p>
${htmlTable(
  ['run', 'model', 'epochs', 'steps', 'time (s)', 'img/s', 'final loss'],
  runs.map((run) => [
    run.label,
    modelText(run.config),
    String(epochsOf(run)),
    String(run.result.steps),
    run.seconds.toFixed(0),
    run.imagesPerSecond.toFixed(1),
    format(run.result.finalMetrics?.loss, 3),
  ]),
)}
<h2>Verification on held-out identities</h2>
<p>${escapeHtml(pairsText)}. Table 2 layout: FNMR at FMR = ${falseMatchRate} with its 95 % interval (the deck reports FMR 1e-4 on millions of pairs). Masked: the second face of each pair is masked (MFR mask-to-nonmask). ${escapeHtml(intervalText)}</p>
${htmlTable(
  ['model', `FNMR@FMR=${falseMatchRate} (masked)`, `FNMR@FMR=${falseMatchRate} (standard)`],
  cells.map((cell) => [cell.model, cellText(cell.masked), cellText(cell.standard)]),
)}
${htmlTable(
  ['run', 'protocol', 'AUC', 'EER'],
  metricsRows.map(({ run, protocol, areaUnderRoc, equalErrorRate }) => [run.label, protocol, format(areaUnderRoc), format(equalErrorRate)]),
)}
<p class="verdict"><b>${escapeHtml(verdict)}</b></p>
<figure>${lossSvg}</figure>
${Object.values(rocSvgs)
  .map((svg) => `<figure>${svg}</figure>`)
  .join('\n')}
<h2>Masked samples</h2><p>Held-out faces: original, textured synthesizer, natural synthesizer.</p>
<img src="contact-sheet.png" alt="contact sheet of masked samples">
</body></html>
`;
    await writeFile(path.join(reportDirectory, 'index.html'), html);
    const teacherVsStudent = difference('teacher', 'student');
    reporter.result(
      {
        report: path.join(reportDirectory, 'index.html'),
        markdown: path.join(reportDirectory, 'report.md'),
        seconds: totalSeconds,
        falseMatchRate,
        rows: cells.map((cell) => ({
          model: cell.model,
          masked: cell.masked.estimate,
          standard: cell.standard.estimate,
          maskedInterval: [cell.masked.low, cell.masked.high],
          standardInterval: [cell.standard.low, cell.standard.high],
        })),
        teacherVsStudent,
        distilledVsStudent: difference('student-distilled', 'student'),
        verdict,
      },
      `\n${table}\n${verdict}\nreport: ${path.join(reportDirectory, 'index.html')} (${totalSeconds.toFixed(0)} s, ${load})`,
    );
    return EXIT_CODES.ok;
  },
};
