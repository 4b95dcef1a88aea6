// Renders the SynthFaces contact sheet of the README: rows are identities, columns their images;
// the last two columns are masked by @bigface/mask-synth at ratio 1.
import { createSynthIdentity, renderSynthFace } from '@bigface/data';
import { maskAugment } from '@bigface/mask-synth';
import sharp from 'sharp';

const rows = Number(process.argv[2] ?? 8);
const columns = Number(process.argv[3] ?? 8);
const output = process.argv[4] ?? new URL('../docs/synth-faces.jpg', import.meta.url).pathname;
const masked = maskAugment({ ratio: 1 });
const tiles = [];
for (let row = 0; row < rows; row++) {
  const identity = createSynthIdentity(2024, row);
  for (let column = 0; column < columns; column++) {
    let { image } = renderSynthFace(identity, { sample: column });
    if (column >= columns - 2) image = masked(image, { seed: row * 100 + column }).image;
    tiles.push({
      input: await sharp(image.data, { raw: { width: 112, height: 112, channels: 3 } })
        .png()
        .toBuffer(),
      left: column * 114,
      top: row * 114,
    });
  }
}
await sharp({ create: { width: columns * 114 - 2, height: rows * 114 - 2, channels: 3, background: '#ffffff' } })
  .composite(tiles)
  .jpeg({ quality: 82 })
  .toFile(output);
console.log(output);
