import { describe, expect, it } from 'vitest';
import { lossCurvesSvg } from './loss-curves-svg';

describe('lossCurvesSvg', () => {
  it('draws one polyline per curve, scaled into the plot box', () => {
    const svg = lossCurvesSvg(
      [
        {
          label: 'a <b>',
          points: [
            [0, 10],
            [10, 0],
          ],
        },
        { label: 'c', points: [[5, 5]] },
      ],
      { width: 200, height: 100 },
    );
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('a &lt;b&gt;');
    // step 0 → x = left margin 60; loss 0 → y = top 36 + plot height (100 − 36 − 44 = 20) = 56
    expect(svg).toContain('points="60.0,');
    expect(svg).toMatch(/ 180\.0,56\.0"/); // step 10 → 60 + 120
    expect(svg).toContain('stroke="#0072B2"'); // the palette of the other plots
  });

  it('takes a colour per curve and dashes the ones asked for', () => {
    const svg = lossCurvesSvg([
      {
        label: 'a s0',
        points: [
          [0, 1],
          [1, 0],
        ],
        colour: 2,
      },
      {
        label: 'a s1',
        points: [
          [0, 1],
          [1, 0],
        ],
        colour: 2,
        dashed: true,
      },
    ]);
    expect(svg.match(/stroke="#009E73"/g)).toHaveLength(4); // PALETTE[2]: both polylines and both legend lines
    expect(svg.match(/stroke-dasharray="6 3"/g)).toHaveLength(2); // the second curve and its legend line
  });

  it('refuses an empty plot', () => {
    expect(() => lossCurvesSvg([])).toThrow(/lossCurvesSvg: no curves to draw/);
  });
});
