import { assertArgument } from '@bigface/backend';
import { PALETTE, escapeXml, formatNumber } from './svg';

/** One curve of {@link rocCurveSvg}: e.g. a {@link RocCurve}'s rates, labelled "r240 / masked". */
export interface RocCurveSeries {
  label: string;
  falseAcceptRate: ArrayLike<number>;
  trueAcceptRate: ArrayLike<number>;
}

/** Options of {@link rocCurveSvg}. */
export interface RocCurveSvgOptions {
  title?: string;
  width?: number;
  height?: number;
  /** Left end of the logarithmic FAR axis; default 1e-6. Points below are drawn at it. */
  minFalseAcceptRate?: number;
}

/**
 * An SVG line chart of ROC curves, one per protocol/model: TAR against FAR on a logarithmic axis
 * (the face-recognition convention, where the low-FAR end matters), with a legend.
 *
 * @example
 * const roc = rocCurve(scores, issame);
 * writeFileSync('roc.svg', rocCurveSvg([{ label: 'r50 / standard', ...roc }], { title: 'IJB-C' }));
 */
export function rocCurveSvg(curves: readonly RocCurveSeries[], options: RocCurveSvgOptions = {}): string {
  const { title = 'ROC', width = 640, height = 480, minFalseAcceptRate = 1e-6 } = options;
  assertArgument(curves.length > 0, 'EVAL_BAD_PLOT', () => 'rocCurveSvg: no curves to draw');
  assertArgument(
    minFalseAcceptRate > 0 && minFalseAcceptRate < 1,
    'EVAL_BAD_PLOT',
    () => `rocCurveSvg: minFalseAcceptRate must be in (0, 1), got ${minFalseAcceptRate}`,
  );
  const margin = { left: 60, right: 20, top: 40, bottom: 50 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const decades = -Math.log10(minFalseAcceptRate);
  const x = (far: number): number => margin.left + ((Math.log10(Math.max(far, minFalseAcceptRate)) + decades) / decades) * plotWidth;
  const y = (tar: number): number => margin.top + (1 - tar) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<rect class="frame" x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`,
  ];
  for (let decade = 0; decade <= Math.floor(decades); decade += 1) {
    const far = 10 ** -decade;
    const px = x(far).toFixed(2);
    parts.push(`<line x1="${px}" y1="${margin.top}" x2="${px}" y2="${margin.top + plotHeight}" stroke="#ddd"/>`);
    parts.push(`<text x="${px}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${decade === 0 ? '1' : `1e-${decade}`}</text>`);
  }
  for (let tick = 0; tick <= 10; tick += 2) {
    const py = y(tick / 10).toFixed(2);
    parts.push(`<line x1="${margin.left}" y1="${py}" x2="${margin.left + plotWidth}" y2="${py}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${formatNumber(tick / 10)}</text>`);
  }
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">False accept rate (FMR)</text>`);
  parts.push(`<text transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">True accept rate (1 − FNMR)</text>`);
  curves.forEach((curve, index) => {
    assertArgument(
      curve.falseAcceptRate.length === curve.trueAcceptRate.length && curve.falseAcceptRate.length > 0,
      'EVAL_BAD_PLOT',
      () => `rocCurveSvg: curve '${curve.label}' has ${curve.falseAcceptRate.length} FAR and ${curve.trueAcceptRate.length} TAR values`,
    );
    const colour = PALETTE[index % PALETTE.length]!;
    const points = Array.from(
      { length: curve.falseAcceptRate.length },
      (_, k) => `${x(curve.falseAcceptRate[k]!).toFixed(2)},${y(curve.trueAcceptRate[k]!).toFixed(2)}`,
    );
    parts.push(`<path class="curve" data-label="${escapeXml(curve.label)}" d="M${points.join('L')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    // Lower right: ROC curves climb towards the top, so that corner stays clear.
    const legendY = margin.top + plotHeight - 16 - (curves.length - 1 - index) * 18;
    parts.push(
      `<line x1="${margin.left + plotWidth - 150}" y1="${legendY}" x2="${margin.left + plotWidth - 130}" y2="${legendY}" stroke="${colour}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${margin.left + plotWidth - 124}" y="${legendY}" dominant-baseline="middle">${escapeXml(curve.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
