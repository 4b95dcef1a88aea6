import sharp from 'sharp';

/**
 * Renders an SVG (e.g. from {@link rocCurveSvg}) to PNG bytes with sharp (librsvg). `density` is
 * the DPI at which the SVG is rasterised (72 = the SVG's own pixel size; 144 doubles it).
 *
 * @example
 * writeFileSync('roc.png', await svgToPng(rocCurveSvg(curves)));
 */
export async function svgToPng(svg: string, options: { density?: number } = {}): Promise<Uint8Array> {
  const png = await sharp(Buffer.from(svg), { density: options.density ?? 72 })
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
