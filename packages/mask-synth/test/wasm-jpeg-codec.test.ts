// The WebAssembly JPEG path must be invisible except for speed: for every JPEG it takes, its pixels
// equal sharp's byte for byte; every JPEG it must not take (rotated by EXIF, ICC profile, grey, CMYK,
// cut off, large) goes to sharp; its encoder writes JPEGs as faithful as sharp's at the same quality.
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { alignFace } from '../src/align-face';
import { decodeImage } from '../src/decode-image';
import { encodeImage } from '../src/encode-image';
import { readJpegHeader } from '../src/jpeg-header';
import type { RawImage } from '../src/raw-image';
import { WASM_JPEG_MAX_PIXELS, decodeSmallJpeg, encodeSmallJpeg } from '../src/wasm-jpeg-codec';
import { landmarkFixture, photoPath } from './helpers';

let photo: RawImage;
let crops: RawImage[];

const sharpRaw = (image: RawImage) => sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });

/** `jpeg` with an Exif APP1 segment (IFD0 holding only Orientation) inserted after SOI, written by hand. */
function withExifOrientation(jpeg: Buffer, orientation: number, littleEndian: boolean): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const u16 = (value: number, at: number) => (littleEndian ? tiff.writeUInt16LE(value, at) : tiff.writeUInt16BE(value, at));
  const u32 = (value: number, at: number) => (littleEndian ? tiff.writeUInt32LE(value, at) : tiff.writeUInt32BE(value, at));
  tiff.write(littleEndian ? 'II' : 'MM', 0, 'latin1');
  u16(42, 2);
  u32(8, 4); // IFD0 right after the header
  u16(1, 8); // one entry
  u16(0x0112, 10); // Orientation
  u16(3, 12); // SHORT
  u32(1, 14); // count
  u16(orientation, 18);
  u32(0, 22); // no next IFD
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const segment = Buffer.concat([Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

beforeAll(async () => {
  photo = await decodeImage(photoPath('demo/sample1.jpg'), { decoder: 'sharp' });
  crops = [];
  for (const [file, { faces }] of Object.entries(landmarkFixture.images)) {
    const source = await decodeImage(photoPath(file), { decoder: 'sharp' });
    for (const face of faces.slice(0, 2)) crops.push(alignFace(source, face.points).image);
  }
});

describe('readJpegHeader', () => {
  it('reads frame type, size, components, EXIF orientation, ICC presence and the end marker', async () => {
    const crop = crops[0]!;
    const baseline = readJpegHeader(await sharpRaw(crop).jpeg({ quality: 90 }).toBuffer())!;
    expect(baseline).toEqual({
      frameMarker: 0xc0,
      precision: 8,
      width: 112,
      height: 112,
      components: 3,
      orientation: undefined,
      hasIccProfile: false,
      endsWithEndOfImage: true,
    });
    const progressive = readJpegHeader(await sharpRaw(crop).jpeg({ progressive: true }).toBuffer())!;
    expect(progressive.frameMarker).toBe(0xc2);
    const odd = readJpegHeader(await sharpRaw(crop).resize(97, 61, { fit: 'fill' }).jpeg().toBuffer())!;
    expect([odd.width, odd.height]).toEqual([97, 61]);
    const grey = readJpegHeader(await sharpRaw(crop).toColourspace('b-w').jpeg().toBuffer())!;
    expect(grey.components).toBe(1);
    const cmyk = readJpegHeader(await sharpRaw(crop).toColourspace('cmyk').jpeg().toBuffer())!;
    expect(cmyk.components).toBe(4);
    for (const orientation of [1, 3, 6, 8]) {
      const rotated = readJpegHeader(await sharpRaw(crop).jpeg().withMetadata({ orientation }).toBuffer())!;
      expect(rotated.orientation).toBe(orientation);
      for (const littleEndian of [true, false]) {
        expect(readJpegHeader(withExifOrientation(await sharpRaw(crop).jpeg().toBuffer(), orientation, littleEndian))!.orientation).toBe(orientation);
      }
    }
    const icc = readJpegHeader(await sharpRaw(crop).jpeg().withIccProfile('p3').toBuffer())!;
    expect(icc.hasIccProfile).toBe(true);
    const whole = await sharpRaw(crop).jpeg().toBuffer();
    expect(readJpegHeader(whole.subarray(0, whole.length - 100))!.endsWithEndOfImage).toBe(false);
  });

  it('returns null for what is not a JPEG header', async () => {
    expect(readJpegHeader(await sharpRaw(crops[0]!).png().toBuffer())).toBeNull();
    expect(readJpegHeader(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(readJpegHeader(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x40, 0x00, 1, 2]))).toBeNull(); // segment longer than the file
    expect(readJpegHeader(Buffer.from('<html>no</html>'))).toBeNull();
  });
});

describe('WebAssembly JPEG decoding', () => {
  it("takes aligned crops and small plain JPEGs and gives exactly sharp's pixels", async () => {
    const cases: { name: string; jpeg: Buffer }[] = [];
    for (const [i, crop] of crops.entries()) {
      for (const quality of [50, 90, 100]) cases.push({ name: `crop ${i} q${quality}`, jpeg: await sharpRaw(crop).jpeg({ quality }).toBuffer() });
      cases.push({ name: `crop ${i} 4:4:4`, jpeg: await sharpRaw(crop).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer() });
      cases.push({ name: `crop ${i} progressive`, jpeg: await sharpRaw(crop).jpeg({ progressive: true }).toBuffer() });
    }
    for (const [width, height] of [
      [1, 1],
      [97, 61],
      [255, 257],
      [256, 256],
    ] as const) {
      cases.push({ name: `photo ${width}x${height}`, jpeg: await sharpRaw(photo).resize(width, height, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer() });
    }
    cases.push({ name: 'EXIF orientation 1', jpeg: withExifOrientation(await sharpRaw(crops[0]!).jpeg().toBuffer(), 1, false) });
    for (const { name, jpeg } of cases) {
      const fast = await decodeSmallJpeg(jpeg);
      expect(fast, `${name}: took the WebAssembly path`).not.toBeNull();
      const reference = await decodeImage(jpeg, { decoder: 'sharp' });
      expect([fast!.width, fast!.height, fast!.channels], name).toEqual([reference.width, reference.height, 3]);
      expect(Buffer.from(fast!.data).equals(Buffer.from(reference.data)), `${name}: same pixels as sharp`).toBe(true);
      expect(Buffer.from((await decodeImage(jpeg)).data).equals(Buffer.from(reference.data)), `${name}: decodeImage`).toBe(true);
    }
    expect(cases.length).toBeGreaterThan(20);
  });

  it('leaves EXIF-rotated, ICC, grey, CMYK, cut-off, large and non-JPEG inputs to sharp, which decodes them as before', async () => {
    const crop = crops[1]!;
    const whole = await sharpRaw(crop).jpeg().toBuffer();
    const cases: { name: string; bytes: Buffer }[] = [
      { name: 'EXIF orientation 6', bytes: withExifOrientation(await sharpRaw(crop).resize(112, 80, { fit: 'fill' }).jpeg().toBuffer(), 6, true) },
      { name: 'ICC profile', bytes: await sharpRaw(crop).jpeg().withIccProfile('p3').toBuffer() },
      { name: 'grey', bytes: await sharpRaw(crop).toColourspace('b-w').jpeg().toBuffer() },
      { name: 'CMYK', bytes: await sharpRaw(crop).toColourspace('cmyk').jpeg().toBuffer() },
      { name: 'larger than the limit', bytes: await sharpRaw(photo).resize(257, 256, { fit: 'fill' }).jpeg().toBuffer() },
      { name: 'PNG', bytes: await sharpRaw(crop).png().toBuffer() },
    ];
    for (const { name, bytes } of cases) {
      expect(await decodeSmallJpeg(bytes), name).toBeNull();
      const auto = await decodeImage(bytes);
      const reference = await decodeImage(bytes, { decoder: 'sharp' });
      expect([auto.width, auto.height, auto.channels], name).toEqual([reference.width, reference.height, 3]);
      expect(Buffer.from(auto.data).equals(Buffer.from(reference.data)), name).toBe(true);
    }
    // EXIF orientation 6 turns the 112x80 stored image upright: 80x112.
    expect((await decodeImage(cases[0]!.bytes)).width).toBe(80);
    expect(257 * 256).toBeGreaterThan(WASM_JPEG_MAX_PIXELS);
    // Cut off: still sharp's TRUNCATED_IMAGE, naming the input.
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6));
    expect(await decodeSmallJpeg(cut)).toBeNull();
    await expect(decodeImage(cut, 'cut.jpg')).rejects.toMatchObject({ code: 'TRUNCATED_IMAGE', message: expect.stringContaining('cut.jpg') });
  });

  it('survives corrupt scan data that ends with the end marker, and keeps decoding afterwards', async () => {
    const good = await sharpRaw(crops[2]!).jpeg().toBuffer();
    const corrupt = Buffer.from(good);
    // Scramble the middle of the entropy-coded data; the header and the end marker stay intact.
    for (let i = Math.floor(corrupt.length * 0.5); i < corrupt.length - 20; i += 7) corrupt[i] = (corrupt[i]! * 31 + 17) & 0xff;
    const result = await decodeImage(corrupt).catch((error: unknown) => error);
    // Either pixels of the right size (libjpeg-turbo, like sharp, decodes damaged scans as best it can)
    // or a typed error: never a crash.
    if (result instanceof Error) expect(result).toMatchObject({ name: 'BigFaceError' });
    else expect((result as RawImage).data.length).toBe(112 * 112 * 3);
    const after = await decodeImage(good);
    expect(Buffer.from(after.data).equals(Buffer.from((await decodeImage(good, { decoder: 'sharp' })).data))).toBe(true);
  });

  it('rejects an unknown decoder option by name', async () => {
    await expect(decodeImage(Buffer.from([1]), { decoder: 'fast' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining("decoder must be 'auto' or 'sharp'"),
    });
  });
});

describe('WebAssembly JPEG encoding', () => {
  it("writes baseline 4:2:0 JPEGs as faithful as sharp's at the same quality", async () => {
    for (const quality of [60, 92]) {
      for (const [i, crop] of crops.entries()) {
        const fast = await encodeSmallJpeg(crop, quality);
        expect(fast).not.toBeNull();
        const header = readJpegHeader(fast!)!;
        expect([header.frameMarker, header.width, header.height, header.components]).toEqual([0xc0, 112, 112, 3]);
        const ours = await decodeImage(fast!, { decoder: 'sharp' });
        const theirs = await decodeImage(await encodeImage(crop, { quality, encoder: 'sharp' }), { decoder: 'sharp' });
        const oursPsnr = psnr(ours.data, crop.data);
        const theirsPsnr = psnr(theirs.data, crop.data);
        // Same libjpeg quality tables and 4:2:0: within a fraction of a dB of sharp (sharp's mozjpeg
        // build differs in details), and far from a broken encode.
        expect(Math.abs(oursPsnr - theirsPsnr), `crop ${i} q${quality}: ${oursPsnr.toFixed(2)} vs sharp ${theirsPsnr.toFixed(2)} dB`).toBeLessThan(1);
        expect(oursPsnr).toBeGreaterThan(quality === 92 ? 33 : 28);
        expect(Buffer.from(await encodeImage(crop, 'jpeg', quality)).equals(fast!)).toBe(true);
      }
    }
  });

  it('leaves PNG, WebP, RGBA and large images to sharp; encoder "sharp" gives sharp\'s bytes', async () => {
    const crop = crops[0]!;
    const rgba: RawImage = { data: new Uint8Array(112 * 112 * 4).fill(200), width: 112, height: 112, channels: 4 };
    expect(await encodeSmallJpeg(rgba, 90)).toBeNull();
    const large = { ...photo };
    expect(await encodeSmallJpeg(large, 90)).toBeNull();
    expect((await encodeImage(crop, { encoder: 'sharp', quality: 80 })).equals(await sharpRaw(crop).jpeg({ quality: 80 }).toBuffer())).toBe(true);
    expect((await encodeImage(crop, 'png')).equals(await sharpRaw(crop).png().toBuffer())).toBe(true);
    expect((await encodeImage(large, 'jpeg', 80)).equals(await sharpRaw(large).jpeg({ quality: 80 }).toBuffer())).toBe(true);
  });

  it('rejects bad format, quality and encoder options by name', async () => {
    const crop = crops[0]!;
    await expect(encodeImage(crop, 'gif' as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining("format must be 'jpeg', 'png' or 'webp'"),
    });
    await expect(encodeImage(crop, 'jpeg', 0)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('quality must be an integer in 1..100, got 0'),
    });
    await expect(encodeImage(crop, { encoder: 'x' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining("encoder must be 'auto' or 'sharp'"),
    });
  });
});
