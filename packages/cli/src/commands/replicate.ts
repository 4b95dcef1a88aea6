import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BigFaceError } from '@bigface/backend/errors';
import type { TrainConfig } from '@bigface/train';
import type { ScoredPairs } from '@bigface/eval';
import type { CommandContext, CommandDefinition } from '../command';
import { resolveCliConfig } from '../config/resolve-cli-config';
import { EXIT_CODES } from '../exit-codes';
import { numberOption } from '../parse-command-arguments';
import { DECK_CLAIMS, REPLICATE_ARMS, REPLICATE_PLANS, type ReplicateArm, type ReplicatePlan } from '../replicate/replicate-plan';
import { claimSummaries, replicateReport, type ReplicateRunSummary } from '../replicate/replicate-report';
import { replicateStatistics } from '../replicate/replicate-statistics';
import { verifyRuns } from '../replicate/verify-runs';
import { runTraining } from './run-training';
import { readRunMetrics } from '../report/read-run-metrics';

const SCALES = Object.keys(REPLICATE_PLANS) as (keyof typeof REPLICATE_PLANS)[];

function parseSeeds(text: string): number[] {
  const seeds = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(Number);
  if (seeds.length === 0 || seeds.some((seed) => !Number.isInteger(seed) || seed < 0) || new Set(seeds).size !== seeds.length) {
    throw new BigFaceError('USAGE_ERROR', `--seeds: got '${text}'; expected distinct non-negative integers separated by commas, e.g. --seeds 0,1`);
  }
  return seeds;
}

const modelText = (model: ReplicatePlan['student']) => `IResNet [${model.layers.join(',')}] ×${model.widthMultiplier}, ${model.embeddingSize}-d`;

/** The training config of one arm at one seed. */
export function replicateArmConfig(
  plan: ReplicatePlan,
  arm: ReplicateArm,
  seed: number,
  options: { output: string; backend: string; cwd: string },
): TrainConfig {
  const runDirectory = (name: string) => path.join(options.output, 'runs', `seed-${seed}`, name);
  const model = plan[arm.model];
  return resolveCliConfig({
    config: 'synth-tiny-cosface',
    overrides: {
      name: `replicate-${arm.name}-seed-${seed}`,
      outputDir: runDirectory(arm.name),
      seed,
      backend: options.backend,
      data: {
        source: 'synth',
        identities: plan.identities,
        imagesPerIdentity: plan.imagesPerIdentity,
        cacheDir: path.join(options.output, 'cache'),
        imageSize: plan.imageSize,
        mask: { ratio: arm.maskRatio },
      },
      model: { layers: model.layers, widthMultiplier: model.widthMultiplier, embeddingSize: model.embeddingSize },
      optimizer: { lr: plan.lr, trustCoefficient: plan.trustCoefficient },
      batch: { perRank: plan.perRank },
      distributed: { worldSize: 2 },
      schedule: { epochs: plan.epochs, warmupEpochs: plan.epochs / 8, milestones: [plan.epochs * 0.75] },
      // The run's own end-of-training check is a small standard-only one; the replication verifies
      // every arm afterwards on the same, much larger set of pairs.
      evaluation: { everySteps: 0, heldOutIdentities: plan.heldOutIdentities, pairs: 200, protocols: ['standard'], batchSize: 64 },
      checkpoint: { everySteps: 0, keepLast: 1 },
      log: { everySteps: 1 },
      ...(arm.distilled ? { distill: { teacher: { checkpoint: runDirectory('teacher') }, lambda: 9 } } : {}),
    },
    cwd: options.cwd,
  }).config;
}

export const replicateCommand: CommandDefinition = {
  name: 'replicate',
  summary:
    "The deck's three claims replicated on SynthFaces: arms × seeds, verification on held-out identities, bootstrap intervals over identities, a report.",
  usage: 'bigface replicate [--scale full|quick|test] [--output <dir>] [--seeds 0,1] [options]',
  options: {
    scale: {
      type: 'string',
      value: `<${SCALES.join('|')}>`,
      description: 'full: the replication (23 min on 2 cores with native kernels); quick: about a minute, checks the wiring; test: seconds',
      default: 'full',
    },
    output: { type: 'string', short: 'o', value: '<dir>', description: 'where the data cache, the runs and report/ go', default: 'bigface-replicate' },
    seeds: { type: 'string', value: '<list>', description: "seeds, one run per arm each (default: the scale's)" },
    backend: { type: 'string', value: '<auto|cpu|wasm>', description: 'tensor backend (auto: native kernels when built, else wasm)', default: 'auto' },
    replicates: { type: 'string', value: '<n>', description: "bootstrap replicates per interval (default: the scale's)" },
    fresh: { type: 'boolean', description: 'delete earlier runs under <output>/runs first (default: finished runs are reused, interrupted ones resume)' },
  },
  details: `Arms (same seeds, data and steps): a bigger teacher and the student (claim 1); the student with masks
at ratio 0, 0.35 and 0.5 (claim 2); the student distilled from the teacher with λ 9 (claim 3). Each arm is
verified on the same held-out identity pairs of its seed (standard, and masked: the second face masked).
Intervals are 95 % percentile bootstraps over identities (resampled per seed, the effect averaged over
seeds), paired between arms; a claim is shown only when its interval excludes zero on the claimed side.
Writes <output>/report/index.html, report.md, results.json, loss.svg, roc-masked.svg, roc-standard.svg.`,
  examples: ['bigface replicate', 'bigface replicate --scale quick --output /tmp/replicate'],
  async run(context) {
    const { values, reporter, io } = context;
    const scale = String(values.scale);
    if (!(SCALES as string[]).includes(scale)) throw new BigFaceError('USAGE_ERROR', `--scale: got '${scale}'; choose one of ${SCALES.join(', ')}`);
    const plan: ReplicatePlan = { ...REPLICATE_PLANS[scale as keyof typeof REPLICATE_PLANS] };
    if (typeof values.seeds === 'string') plan.seeds = parseSeeds(values.seeds);
    plan.replicates = numberOption(values, 'replicates', { integer: true, min: 10 }) ?? plan.replicates;
    const output = path.resolve(io.cwd, String(values.output));
    const reportDirectory = path.join(output, 'report');
    if (values.fresh === true) await rm(path.join(output, 'runs'), { recursive: true, force: true });
    await mkdir(reportDirectory, { recursive: true });
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const loadAverages = [os.loadavg()[0]!];
    const sampleLoad = () => loadAverages.push(os.loadavg()[0]!);
    const configOf = (arm: ReplicateArm, seed: number) => replicateArmConfig(plan, arm, seed, { output, backend: String(values.backend), cwd: io.cwd });

    // 1. Train every arm at every seed (the teacher first: the distilled student reads it).
    const runs: (ReplicateRunSummary & { losses: [number, number][]; outputDir: string; backend: string })[] = [];
    const total = plan.seeds.length * REPLICATE_ARMS.length;
    for (const seed of plan.seeds) {
      for (const arm of REPLICATE_ARMS) {
        const config = configOf(arm, seed);
        reporter.line(`[${runs.length + 1}/${total}] seed ${seed}, ${arm.name}: ${arm.description}; ${modelText(plan[arm.model])}`);
        const { code, result } = await runTraining(context as CommandContext, config, { resume: 'auto', label: `${arm.name} s${seed}` });
        if (code !== EXIT_CODES.ok) return code;
        sampleLoad();
        // From the run's own log, so that a run reused from an earlier invocation reports its real numbers.
        const { losses, imagesPerSecond, trainingSeconds } = readRunMetrics(result.metricsPath);
        runs.push({
          arm: arm.name,
          seed,
          model: modelText(plan[arm.model]),
          maskRatio: arm.maskRatio,
          distilled: arm.distilled,
          steps: result.steps,
          seconds: trainingSeconds,
          imagesPerSecond,
          finalLoss: result.finalMetrics?.loss ?? losses.at(-1)?.[1] ?? null,
          losses,
          outputDir: result.outputDir,
          backend: result.backend,
        });
      }
    }

    // 2. Verify every arm of a seed on that seed's held-out pairs: each face embedded once, plain and masked.
    const { initBackend } = await import('@bigface/backend');
    const { prepareDataset } = await import('@bigface/train');
    const evaluation = await import('@bigface/eval');
    await initBackend({ backend: values.backend as 'auto' | 'cpu' | 'wasm' });
    const sets: ScoredPairs[] = [];
    const pairsSummary: { seed: number; identities: number; faces: number; genuine: number; impostors: number }[] = [];
    for (const seed of plan.seeds) {
      const prepared = await prepareDataset(configOf(REPLICATE_ARMS[0]!, seed));
      const verified = await verifyRuns(
        prepared,
        REPLICATE_ARMS.map((arm) => ({ name: arm.name, directory: configOf(arm, seed).outputDir })),
        {
          facesPerIdentity: plan.facesPerHeldOutIdentity,
          impostors: plan.impostors,
          seed,
          imageSize: plan.imageSize,
          onFaces: (found) =>
            reporter.line(
              `verifying seed ${seed}: ${found.faces} faces of ${found.identities} held-out identities, ${found.genuine} genuine + ${found.impostors} impostor pairs, standard and masked`,
            ),
        },
      );
      const { set, ...counts } = verified;
      pairsSummary.push({ seed, ...counts });
      sets.push(set);
      sampleLoad();
    }

    // 3. Intervals and verdicts (@bigface/eval), then the report.
    const statistics = await replicateStatistics(sets, {
      arms: REPLICATE_ARMS.map((arm) => arm.name),
      falseMatchRates: plan.falseMatchRates,
      replicates: plan.replicates,
      seed: 0x5eed,
    });
    const figures: { file: string; title: string; svg: string }[] = [];
    figures.push({
      file: 'loss.svg',
      title: 'training loss per arm and seed (CosFace; + λ·distillation for the distilled student)',
      svg: evaluation.lossCurvesSvg(
        // One colour per arm, one line style per seed (solid, then dashed).
        runs.map((run) => ({
          label: `${run.arm} s${run.seed}`,
          points: run.losses,
          colour: REPLICATE_ARMS.findIndex((arm) => arm.name === run.arm),
          dashed: plan.seeds.indexOf(run.seed) > 0,
        })),
        { title: 'training loss per arm and seed', width: 760, height: 460 },
      ),
    });
    for (const protocol of ['masked', 'standard'] as const) {
      const issame = sets.flatMap((set) => Array.from(set.issame));
      const curves = REPLICATE_ARMS.map((arm) => ({
        label: arm.name,
        ...evaluation.rocCurve(
          sets.flatMap((set) => Array.from(set.scores[`${arm.name}/${protocol}`]!)),
          issame,
        ),
      }));
      const impostors = issame.filter((same) => !same).length;
      figures.push({
        file: `roc-${protocol}.svg`,
        title: `ROC, ${protocol} pairs (held-out identities, all seeds pooled)`,
        svg: evaluation.rocCurveSvg(curves, {
          title: `ROC, ${protocol} pairs (held-out identities, seeds pooled)`,
          minFalseAcceptRate: Math.max(1e-6, 1 / impostors),
        }),
      });
    }
    const totalSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    sampleLoad();
    const backend = [...new Set(runs.map((run) => run.backend))].join(' / ');
    const input = {
      scale,
      date: new Date().toISOString().slice(0, 10),
      machine: `${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
      backend,
      loadAverages,
      totalSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      plan,
      runs: runs.map(({ losses: _losses, outputDir: _outputDir, backend: _backend, ...run }) => run),
      pairs: pairsSummary,
      arms: statistics.arms,
      claims: statistics.claims,
      figures,
    };
    const claimTexts = Object.fromEntries(DECK_CLAIMS.map((claim) => [claim.number, claim.text]));
    const { markdown, html } = replicateReport(input, claimTexts);
    await writeFile(path.join(reportDirectory, 'report.md'), markdown);
    await writeFile(path.join(reportDirectory, 'index.html'), html);
    for (const figure of figures) await writeFile(path.join(reportDirectory, figure.file), figure.svg);
    const { figures: _figures, ...numbers } = input;
    await writeFile(path.join(reportDirectory, 'results.json'), `${JSON.stringify(numbers, null, 1)}\n`);
    const summaries = claimSummaries(statistics.claims, claimTexts);
    reporter.result(
      {
        report: path.join(reportDirectory, 'index.html'),
        markdown: path.join(reportDirectory, 'report.md'),
        scale,
        seconds: totalSeconds,
        cpuSeconds: input.cpuSeconds,
        loadAverages,
        backend,
        claims: summaries,
        rows: statistics.claims.map((row) => ({
          claim: row.claim,
          label: row.label,
          ...row.perFalseMatchRate[0]!.interval,
          falseMatchRate: row.perFalseMatchRate[0]!.falseMatchRate,
          status: row.perFalseMatchRate[0]!.verdict?.status ?? 'measured',
        })),
      },
      `\n${summaries.map((s) => `claim ${s.claim}: ${s.status} — ${s.text}`).join('\n')}\nreport: ${path.join(reportDirectory, 'index.html')} (${(totalSeconds / 60).toFixed(1)} min, load average ${loadAverages.map((l) => l.toFixed(1)).join(' ')})`,
    );
    return EXIT_CODES.ok;
  },
};
