import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { rocCurveSvg } from './roc-curve-svg';
import { scoreHistogramSvg } from './score-histogram-svg';
import { svgToPng } from './svg-to-png';

const curves = [
  { label: 'r240 / masked', falseAcceptRate: [0, 1e-4, 1e-2, 1], trueAcceptRate: [0, 0.9, 0.97, 1] },
  { label: 'r240 / standard <&>', falseAcceptRate: [0, 1e-5, 1], trueAcceptRate: [0, 0.95, 1] },
];

describe('rocCurveSvg', () => {
  it('draws one path per curve on a log FAR axis, labels escaped', () => {
    const svg = rocCurveSvg(curves, { width: 640, height: 480, minFalseAcceptRate: 1e-6 });
    const paths = [...svg.matchAll(/<path class="curve" data-label="([^"]*)" d="([^"]*)"/g)];
    expect(paths.map((match) => match[1])).toEqual(['r240 / masked', 'r240 / standard &lt;&amp;&gt;']);
    // Plot area x ∈ [60, 620] over 6 decades: FAR 1e-4 → 60 + (2/6)·560 = 246.67; TAR 0.9 → y = 40 + 0.1·390 = 79.
    // FAR 0 is clamped to 1e-6 → x = 60; TAR 0 → y = 430.
    expect(paths[0]![2]).toBe('M60.00,430.00L246.67,79.00L433.33,51.70L620.00,40.00');
    // Tick labels 1e-6 … 1e-1 and 1 (not '1e-0') at the right end.
    expect(svg.match(/>1e-\d</g)).toHaveLength(6);
    expect(svg).toContain('>1</text>');
    expect(svg).not.toContain('1e-0');
  });

  it('renders to a PNG of the SVG size with sharp', async () => {
    const png = await svgToPng(rocCurveSvg(curves, { width: 320, height: 240 }));
    expect(Array.from(png.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const metadata = await sharp(png).metadata();
    expect([metadata.width, metadata.height]).toEqual([320, 240]);
  });

  it('refuses an empty plot', () => {
    expect(() => rocCurveSvg([])).toThrow(/no curves to draw/);
  });
});

describe('scoreHistogramSvg', () => {
  it('bins genuine and impostor scores separately (counts checked by hand)', () => {
    // 4 bins over [−1, 1]: [−1, −0.5), [−0.5, 0), [0, 0.5), [0.5, 1]. Genuine 0.9, 0.6, 0.2, 1.0 → 0, 0, 1, 3.
    // Impostor −0.7, −0.2, −0.1, 0.1, −3 (clamped into bin 0) → 2, 2, 1, 0.
    const svg = scoreHistogramSvg({ genuine: [0.9, 0.6, 0.2, 1.0], impostor: [-0.7, -0.2, -0.1, 0.1, -3] }, { bins: 4 });
    const counts = (name: string): number[] => [...svg.matchAll(new RegExp(`<rect class="${name}" data-count="(\\d+)"`, 'g'))].map((match) => Number(match[1]));
    expect(counts('genuine')).toEqual([0, 0, 1, 3]);
    expect(counts('impostor')).toEqual([2, 2, 1, 0]);
    expect(svg).toContain('genuine (4)');
  });
});
