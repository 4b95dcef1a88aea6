import { assertArgument } from '@bigface/backend';
import { scoreHistogram } from './score-histogram';
import { PALETTE, escapeXml, formatNumber } from './svg';

/** Options of {@link scoreHistogramSvg}. */
export interface ScoreHistogramSvgOptions {
  title?: string;
  width?: number;
  height?: number;
  bins?: number;
  /** Score range; default [−1, 1] (cosine). */
  range?: readonly [number, number];
}

/**
 * An SVG histogram of genuine and impostor scores (overlaid, each normalised to its own total so
 * that unequal pair counts compare), the picture of how well a model separates the two classes.
 * Each bar carries its raw count in `data-count`.
 *
 * @example
 * writeFileSync('scores.svg', scoreHistogramSvg({ genuine: genuineScores, impostor: impostorScores }, { title: 'masked' }));
 */
export function scoreHistogramSvg(scores: { genuine: ArrayLike<number>; impostor: ArrayLike<number> }, options: ScoreHistogramSvgOptions = {}): string {
  const { title = 'Score distributions', width = 640, height = 400, bins = 50, range = [-1, 1] } = options;
  assertArgument(
    scores.genuine.length > 0 && scores.impostor.length > 0,
    'EVAL_BAD_PLOT',
    () => `scoreHistogramSvg: need genuine and impostor scores, got ${scores.genuine.length} and ${scores.impostor.length}`,
  );
  const [low, high] = range;
  const series = [
    { name: 'genuine', counts: scoreHistogram(scores.genuine, bins, low, high), total: scores.genuine.length, colour: PALETTE[0]! },
    { name: 'impostor', counts: scoreHistogram(scores.impostor, bins, low, high), total: scores.impostor.length, colour: PALETTE[1]! },
  ];
  const margin = { left: 60, right: 20, top: 40, bottom: 50 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const peak = Math.max(...series.flatMap(({ counts, total }) => counts.map((count) => count / total)));
  const barWidth = plotWidth / bins;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<rect class="frame" x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`,
  ];
  for (let tick = 0; tick <= 4; tick += 1) {
    const value = low + ((high - low) * tick) / 4;
    parts.push(
      `<text x="${(margin.left + (plotWidth * tick) / 4).toFixed(2)}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${formatNumber(value)}</text>`,
    );
  }
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">Score</text>`);
  parts.push(`<text transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">Fraction of pairs</text>`);
  series.forEach(({ name, counts, total, colour }, index) => {
    counts.forEach((count, bin) => {
      const barHeight = (count / total / peak) * plotHeight;
      parts.push(
        `<rect class="${name}" data-count="${count}" x="${(margin.left + bin * barWidth).toFixed(2)}" y="${(margin.top + plotHeight - barHeight).toFixed(2)}" width="${barWidth.toFixed(2)}" height="${barHeight.toFixed(2)}" fill="${colour}" fill-opacity="0.5"/>`,
      );
    });
    const legendY = margin.top + 16 + index * 18;
    parts.push(`<rect x="${margin.left + 10}" y="${legendY - 6}" width="12" height="12" fill="${colour}" fill-opacity="0.5"/>`);
    parts.push(`<text x="${margin.left + 28}" y="${legendY}" dominant-baseline="middle">${name} (${total})</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
