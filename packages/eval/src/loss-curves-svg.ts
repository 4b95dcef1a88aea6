import { assertArgument } from '@bigface/backend';
import { PALETTE, escapeXml, formatNumber } from './svg';

/** One curve of {@link lossCurvesSvg}. */
export interface LossCurve {
  label: string;
  /** [step, loss] pairs, steps increasing. */
  points: readonly (readonly [number, number])[];
  /** Palette index of the colour (default: the curve's index), e.g. one colour per model. */
  colour?: number;
  /** Dashed line, e.g. for a second seed of the same model. */
  dashed?: boolean;
}

/** Options of {@link lossCurvesSvg}. */
export interface LossCurvesSvgOptions {
  title?: string;
  width?: number;
  height?: number;
}

/**
 * Training-loss curves as a standalone SVG: linear step axis, linear loss axis from 0, one
 * polyline per run, a legend; the palette and escaping of the other plots here. Non-finite losses
 * are left out of the line.
 *
 * @example
 * writeFileSync('loss.svg', lossCurvesSvg([{ label: 'student', points: [[1, 40], [2, 35]] }], { title: 'loss' }));
 */
export function lossCurvesSvg(curves: readonly LossCurve[], options: LossCurvesSvgOptions = {}): string {
  const { title = 'training loss', width = 640, height = 400 } = options;
  assertArgument(curves.length > 0, 'EVAL_BAD_PLOT', () => 'lossCurvesSvg: no curves to draw');
  assertArgument(width >= 200 && height >= 100, 'EVAL_BAD_PLOT', () => `lossCurvesSvg: width × height must be at least 200 × 100, got ${width} × ${height}`);
  const margin = { left: 60, right: 20, top: 36, bottom: 44 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const all = curves.flatMap((curve) => curve.points).filter(([, loss]) => Number.isFinite(loss));
  const maxStep = Math.max(1, ...all.map(([step]) => step));
  const maxLoss = Math.max(1e-9, ...all.map(([, loss]) => loss)) * 1.05;
  const x = (step: number) => margin.left + (step / maxStep) * plotWidth;
  const y = (loss: number) => margin.top + plotHeight - (loss / maxLoss) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const loss = (maxLoss * i) / 5;
    const step = Math.round((maxStep * i) / 5);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${y(loss).toFixed(1)}" y2="${y(loss).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${(y(loss) + 4).toFixed(1)}" text-anchor="end">${formatNumber(loss)}</text>`);
    parts.push(`<text x="${x(step).toFixed(1)}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${step}</text>`);
  }
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">step</text>`);
  parts.push(`<text x="14" y="${margin.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 14 ${margin.top + plotHeight / 2})">loss</text>`);
  curves.forEach((curve, index) => {
    const colour = PALETTE[(curve.colour ?? index) % PALETTE.length]!;
    const dash = curve.dashed ? ' stroke-dasharray="6 3"' : '';
    const points = curve.points
      .filter(([, loss]) => Number.isFinite(loss))
      .map(([step, loss]) => `${x(step).toFixed(1)},${y(loss).toFixed(1)}`)
      .join(' ');
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5"${dash} points="${points}"/>`);
    const legendY = margin.top + 14 + index * 16;
    parts.push(
      `<line x1="${margin.left + plotWidth - 170}" x2="${margin.left + plotWidth - 150}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${colour}" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${margin.left + plotWidth - 145}" y="${legendY}">${escapeXml(curve.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
