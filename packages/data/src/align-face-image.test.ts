import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ARCFACE_TEMPLATE, alignFaceImage } from './align-face-image';
import { estimateSimilarity } from './estimate-similarity';
import { renderSynthFace } from './render-synth-face';
import { createSynthIdentity } from './synth-identity';

/** Bilinear sample of an RGB image at index coordinates (pixel centres on integers), black outside. */
function sample(data: Uint8Array, width: number, height: number, x: number, y: number, channel: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  let value = 0;
  for (const [dx, dy] of [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ] as const) {
    const px = x0 + dx;
    const py = y0 + dy;
    const weight = (dx ? x - x0 : 1 - (x - x0)) * (dy ? y - y0 : 1 - (y - y0));
    if (px >= 0 && py >= 0 && px < width && py < height) value += weight * data[(py * width + px) * 3 + channel]!;
  }
  return value;
}

describe('estimateSimilarity', () => {
  it("matches scikit-image's Umeyama (_umeyama, as insightface's face_align uses) on detector-like landmarks", () => {
    const landmarks = [
      [230.5, 310.25],
      [331.0, 300.75],
      [282.0, 365.5],
      [244.0, 420.0],
      [322.5, 412.25],
    ] as const;
    // numpy: skimage.transform._geometric._umeyama(src, dst, True)[:2]
    const expected = [
      [3.62428834e-1, -1.66598907e-2, -4.01520557e1],
      [1.66598907e-2, 3.62428834e-1, -6.39059398e1],
    ];
    const matrix = estimateSimilarity(landmarks, ARCFACE_TEMPLATE);
    matrix.forEach((row, i) => {
      row.forEach((value, j) => {
        expect(value).toBeCloseTo(expected[i]![j]!, 6);
      });
    });
    expect(() =>
      estimateSimilarity(
        [
          [1, 1],
          [1, 1],
        ],
        [
          [0, 0],
          [1, 1],
        ],
      ),
    ).toThrow(expect.objectContaining({ code: 'INVALID_LANDMARKS' }));
  });
});

describe('alignFaceImage', () => {
  it.each([0.3, -0.45])('undoes a rotation (%s rad), scale and shift of a face photo: equal to an independent bilinear warp to the template', async (angle) => {
    const face = renderSynthFace(createSynthIdentity(3, 1), { sample: 0, variation: 0 });
    // A "photo": the face turned by `angle`, scaled 2.5x and moved, drawn with our own bilinear warp.
    const scale = 2.5;
    const [a, b] = [scale * Math.cos(angle), scale * Math.sin(angle)];
    // Place the turned face fully inside the photo, 30 px from its top-left edges.
    const corners = [
      [0, 0],
      [111, 0],
      [0, 111],
      [111, 111],
    ].map(([x, y]) => [a * x! - b * y!, b * x! + a * y!]);
    const shiftX = 30 - Math.min(...corners.map((p) => p[0]!)) + 0.3;
    const shiftY = 30 - Math.min(...corners.map((p) => p[1]!)) + 0.6;
    const width = Math.ceil(Math.max(...corners.map((p) => p[0]!)) + shiftX + 30);
    const height = Math.ceil(Math.max(...corners.map((p) => p[1]!)) + shiftY + 30);
    const photo = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // inverse of p' = [[a, -b], [b, a]] p + t
        const u = (a * (x - shiftX) + b * (y - shiftY)) / (scale * scale);
        const v = (-b * (x - shiftX) + a * (y - shiftY)) / (scale * scale);
        for (let c = 0; c < 3; c++) photo[(y * width + x) * 3 + c] = Math.round(sample(face.image.data, 112, 112, u, v, c));
      }
    }
    const landmarks = face.landmarks.map(([x, y]) => [a * x - b * y + shiftX, b * x + a * y + shiftY] as [number, number]);
    const png = await sharp(photo, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    const aligned = await alignFaceImage(png, landmarks, { format: 'raw' });
    expect([aligned.width, aligned.height, aligned.data.length]).toEqual([112, 112, 112 * 112 * 3]);

    // Expected: the face itself, warped by the similarity (its landmarks -> template), sampled directly.
    const [[p, q, tx], [, , ty]] = estimateSimilarity(face.landmarks, ARCFACE_TEMPLATE);
    const norm = p * p + q * q;
    let error = 0;
    let count = 0;
    let shiftedError = 0;
    for (let y = 20; y < 100; y++) {
      for (let x = 20; x < 92; x++) {
        const u = (p * (x - tx) - q * (y - ty)) / norm;
        const v = (q * (x - tx) + p * (y - ty)) / norm;
        for (let c = 0; c < 3; c++) {
          const expected = sample(face.image.data, 112, 112, u, v, c);
          error += Math.abs(aligned.data[(y * 112 + x) * 3 + c]! - expected);
          shiftedError += Math.abs(aligned.data[(y * 112 + x + 1) * 3 + c]! - expected);
          count++;
        }
      }
    }
    // Mean absolute error in 8-bit levels; a one-pixel misalignment is several times worse.
    expect(error / count).toBeLessThan(3);
    expect(shiftedError / count).toBeGreaterThan(2 * (error / count));
    await expect(alignFaceImage(Buffer.from('nope'), landmarks)).rejects.toMatchObject({ code: 'IMAGE_DECODE_FAILED' });
  });

  it('applies the EXIF orientation first: a phone photo stored sideways aligns like the upright photo', async () => {
    const face = renderSynthFace(createSynthIdentity(5, 1), { sample: 0, variation: 0 });
    // The upright photo: the face placed at (40, 24) on a 200x160 grey canvas.
    const upright = await sharp({ create: { width: 200, height: 160, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .composite([{ input: Buffer.from(face.image.data), raw: { width: 112, height: 112, channels: 3 }, left: 40, top: 24 }])
      .raw()
      .toBuffer();
    const landmarks = face.landmarks.map(([x, y]) => [x + 40, y + 24] as [number, number]);
    const asJpeg = (pixels: Buffer, width: number, height: number) =>
      sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' });
    // Stored sideways (turned 90 degrees counter-clockwise) with EXIF orientation 6 = "turn 90 degrees clockwise to display".
    const sideways = await sharp(await asJpeg(upright, 200, 160).toBuffer())
      .rotate(270)
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([sideways.info.width, sideways.info.height]).toEqual([160, 200]);
    const stored = await asJpeg(sideways.data, 160, 200).withMetadata({ orientation: 6 }).toBuffer();
    const reference = await alignFaceImage(await asJpeg(upright, 200, 160).toBuffer(), landmarks, { format: 'raw' });
    const aligned = await alignFaceImage(stored, landmarks, { format: 'raw' });
    let error = 0;
    for (let i = 0; i < aligned.data.length; i++) error += Math.abs(aligned.data[i]! - reference.data[i]!);
    // Mean absolute difference in 8-bit levels (two JPEG encodings); ignoring the orientation gives tens of levels.
    expect(error / aligned.data.length).toBeLessThan(2);
  });
});
