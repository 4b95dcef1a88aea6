import type { ArmProtocolResult, ClaimRowResult, IntervalSummary } from './replicate-statistics';
import type { ReplicatePlan } from './replicate-plan';

/** One training run of the replication, as the report lists it. */
export interface ReplicateRunSummary {
  arm: string;
  seed: number;
  model: string;
  maskRatio: number;
  distilled: boolean;
  steps: number;
  seconds: number;
  imagesPerSecond: number;
  finalLoss: number | null;
}

/** Everything the report shows (the figures come as ready SVG). */
export interface ReplicateReportInput {
  scale: string;
  date: string;
  machine: string;
  backend: string;
  /** 1-minute load averages sampled at the start, after each stage and at the end. */
  loadAverages: number[];
  totalSeconds: number;
  cpuSeconds: number;
  plan: ReplicatePlan;
  runs: ReplicateRunSummary[];
  pairs: { seed: number; identities: number; faces: number; genuine: number; impostors: number }[];
  arms: ArmProtocolResult[];
  claims: ClaimRowResult[];
  figures: { file: string; title: string; svg: string }[];
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `0.1234 [0.1000, 0.1500]`, signed for differences. */
export function formatInterval(interval: IntervalSummary, signed = false): string {
  const value = (x: number) => (signed && x > 0 ? '+' : '') + x.toFixed(4);
  return `${value(interval.estimate)} [${value(interval.low)}, ${value(interval.high)}]`;
}

const verdictText = (row: ClaimRowResult['perFalseMatchRate'][number]) =>
  row.verdict === undefined
    ? 'measured (not a claim)'
    : row.verdict.shown
      ? 'shown'
      : row.verdict.status === 'opposite'
        ? 'not shown (the opposite)'
        : 'not shown';

/** Per claim: shown when every claimed row is shown at the primary FMR. */
export function claimSummaries(claims: readonly ClaimRowResult[], texts: Record<number, string>): { claim: number; text: string; status: string }[] {
  const numbers = [...new Set(claims.map((row) => row.claim))];
  return numbers.map((claim) => {
    const rows = claims.filter((row) => row.claim === claim && row.claimed);
    const shown = rows.filter((row) => row.perFalseMatchRate[0]?.verdict?.shown).length;
    const status =
      rows.length === 0 ? 'no claimed rows' : shown === rows.length ? 'shown' : shown === 0 ? 'not shown' : `partly shown (${shown} of ${rows.length} rows)`;
    return { claim, text: texts[claim] ?? '', status };
  });
}

/** The replication report as markdown and as a standalone HTML page (tables, verdicts, figures inline). */
export function replicateReport(input: ReplicateReportInput, claimTexts: Record<number, string>): { markdown: string; html: string } {
  const { plan } = input;
  const [primary, ...others] = plan.falseMatchRates;
  const arms = [...new Set(input.arms.map((row) => row.arm))];
  const cell = (arm: string, protocol: 'masked' | 'standard', rate: number) => {
    const found = input.arms.find((row) => row.arm === arm && row.protocol === protocol)?.falseNonMatchRate.find((point) => point.falseMatchRate === rate);
    return found ? formatInterval(found.interval) : 'n/a';
  };
  const load = input.loadAverages;
  const loadText = load.length
    ? `load average (1 min) ${load[0]!.toFixed(1)} at the start, ${(load.reduce((a, b) => a + b, 0) / load.length).toFixed(1)} mean of ${load.length} samples, ${load.at(-1)!.toFixed(1)} at the end`
    : 'load average not sampled';
  const minutes = (input.totalSeconds / 60).toFixed(1);
  const seedsText = plan.seeds.join(', ');
  const pairsText = input.pairs
    .map((p) => `seed ${p.seed}: ${p.identities} identities, ${p.faces} faces, ${p.genuine} genuine + ${p.impostors} impostor pairs`)
    .join('; ');
  const header = [
    `Date ${input.date}; ${input.machine}; backend ${input.backend}; ${minutes} min wall clock (${(input.cpuSeconds / 60).toFixed(1)} CPU min); ${loadText}.`,
    `SynthFaces per seed: ${plan.identities} training identities × ${plan.imagesPerIdentity} images, ${plan.heldOutIdentities} held-out identities (never trained on; ${plan.facesPerHeldOutIdentity} faces each in verification), ${plan.imageSize}×${plan.imageSize}. Seeds ${seedsText} (each seed: its own SynthFaces family, initialisation and sampling; every arm of a seed shares them). Recipe: CosFace m 0.4 s 64, PartialFC over W = 2 ranks, LARS (lr ${plan.lr} per 256 images, trust ${plan.trustCoefficient}), batch ${plan.perRank}×2, ${plan.epochs} epochs (warm-up ${plan.epochs / 8}, ×0.1 at ${plan.epochs * 0.75}).`,
    `Verification pairs — ${pairsText}. Masked: the second face of each pair masked by mask-synth (MFR mask-to-nonmask).`,
    `Intervals: 95 % percentile bootstrap over held-out identities (${plan.replicates} replicates; identities resampled per seed, the effect averaged over seeds); differences are paired (both arms on the same pairs under the same resampling). A claim row is shown only when its interval excludes zero on the claimed side.`,
  ];
  const table2Headers = ['model', ...plan.falseMatchRates.flatMap((rate) => [`FNMR@FMR=${rate} masked`, `FNMR@FMR=${rate} standard`])];
  const table2 = arms.map((arm) => [arm, ...plan.falseMatchRates.flatMap((rate) => [cell(arm, 'masked', rate), cell(arm, 'standard', rate)])]);
  const claimsHeaders = [
    'claim',
    'contrast (negative: the first is better)',
    `shown? (FMR ${primary})`,
    `effect [95 % interval] at FMR ${primary}`,
    ...others.map((rate) => `at FMR ${rate}`),
  ];
  const claimsBody = input.claims.map((row) => [
    String(row.claim),
    row.label,
    verdictText(row.perFalseMatchRate[0]!),
    formatInterval(row.perFalseMatchRate[0]!.interval, true),
    ...row.perFalseMatchRate.slice(1).map((point) => `${formatInterval(point.interval, true)} ${point.verdict ? `(${verdictText(point)})` : ''}`.trim()),
  ]);
  const summaries = claimSummaries(input.claims, claimTexts);
  const runsHeaders = ['arm', 'seed', 'model', 'masks', 'distilled', 'steps', 'training time (s)', 'img/s', 'final loss'];
  const runsBody = input.runs.map((run) => [
    run.arm,
    String(run.seed),
    run.model,
    String(run.maskRatio),
    run.distilled ? 'λ 9' : '',
    String(run.steps),
    run.seconds.toFixed(0),
    run.imagesPerSecond.toFixed(1),
    run.finalLoss === null ? 'n/a' : run.finalLoss.toFixed(3),
  ]);

  const mdTable = (headers: string[], body: string[][]) =>
    [`| ${headers.join(' | ')} |`, `|${headers.map((_, i) => (i === 0 ? '---' : '---')).join('|')}|`, ...body.map((row) => `| ${row.join(' | ')} |`)].join(
      '\n',
    );
  const markdown = [
    `# BigFace replication of the deck's three claims (scale ${input.scale})`,
    '',
    ...header.flatMap((line) => [line, '']),
    '## The claims',
    '',
    ...summaries.map((s) => `- **Claim ${s.claim}: ${s.status}** — ${s.text}.`),
    '',
    mdTable(claimsHeaders, claimsBody),
    '',
    `## Table 2 layout: FNMR@FMR (masked / standard) with 95 % intervals, mean over seeds`,
    '',
    mdTable(table2Headers, table2),
    '',
    '## Runs',
    '',
    mdTable(runsHeaders, runsBody),
    '',
    ...input.figures.flatMap((figure) => [`![${figure.title}](${figure.file})`, '']),
  ].join('\n');

  const htmlTable = (headers: string[], body: string[][]) =>
    `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body.map((row) => `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BigFace replication (${escapeHtml(input.scale)})</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child,td:nth-child(2){text-align:left}.claims li{margin:.3em 0}figure{margin:1em 0}</style></head>
<body>
<h1>BigFace replication of the deck's three claims (scale ${escapeHtml(input.scale)})</h1>
${header.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')}
<h2>The claims</h2>
<ul class="claims">${summaries.map((s) => `<li><b>Claim ${s.claim}: ${escapeHtml(s.status)}</b> — ${escapeHtml(s.text)}.</li>`).join('')}</ul>
${htmlTable(claimsHeaders, claimsBody)}
<h2>Table 2 layout: FNMR@FMR (masked / standard) with 95 % intervals</h2>
${htmlTable(table2Headers, table2)}
<h2>Runs</h2>
${htmlTable(runsHeaders, runsBody)}
${input.figures.map((figure) => `<figure>${figure.svg}<figcaption>${escapeHtml(figure.title)}</figcaption></figure>`).join('\n')}
</body></html>
`;
  return { markdown, html };
}
