/** What {@link readJpegHeader} learned from a JPEG's markers (everything before the first scan). */
export interface JpegHeader {
  /** The frame marker: 0xc0 baseline, 0xc1 extended sequential, 0xc2 progressive (Huffman); others are listed as found. */
  frameMarker: number;
  /** Bits per sample of the frame. */
  precision: number;
  width: number;
  height: number;
  /** Number of colour components (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK). */
  components: number;
  /** EXIF orientation (1..8) when an Exif APP1 segment has one, else undefined. */
  orientation: number | undefined;
  /** Whether an ICC profile (APP2 `ICC_PROFILE`) is embedded. */
  hasIccProfile: boolean;
  /** Whether the last two bytes are the end-of-image marker FF D9 (a cut-off file does not end so). */
  endsWithEndOfImage: boolean;
}

const u16 = (bytes: Uint8Array, at: number) => (bytes[at]! << 8) | bytes[at + 1]!;

/**
 * Reads a JPEG's frame header, EXIF orientation and ICC presence by walking its marker segments up to
 * the first scan (no pixel data is touched). Returns null for anything that is not a well-formed JPEG
 * header: the caller then hands the bytes to a full decoder, which names the problem.
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let frame: Pick<JpegHeader, 'frameMarker' | 'precision' | 'width' | 'height' | 'components'> | undefined;
  let orientation: number | undefined;
  let hasIccProfile = false;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    let marker = bytes[at + 1]!;
    while (marker === 0xff && at + 2 < bytes.length) marker = bytes[++at + 1]!; // fill bytes
    at += 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || at + 2 > bytes.length) return null; // end of image before any scan
    const length = u16(bytes, at);
    if (length < 2 || at + length > bytes.length) return null;
    const body = at + 2;
    if (marker === 0xda) break; // start of scan: the header is over
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (length < 8) return null;
      frame = { frameMarker: marker, precision: bytes[body]!, height: u16(bytes, body + 1), width: u16(bytes, body + 3), components: bytes[body + 5]! };
    } else if (marker === 0xe1 && length >= 8 && String.fromCharCode(...bytes.subarray(body, body + 6)) === 'Exif\0\0') {
      orientation = readExifOrientation(bytes.subarray(body + 6, at + length));
    } else if (marker === 0xe2 && length >= 14 && String.fromCharCode(...bytes.subarray(body, body + 12)) === 'ICC_PROFILE\0') {
      hasIccProfile = true;
    }
    at += length;
  }
  if (frame === undefined) return null;
  const endsWithEndOfImage = bytes[bytes.length - 2] === 0xff && bytes[bytes.length - 1] === 0xd9;
  return { ...frame, orientation, hasIccProfile, endsWithEndOfImage };
}

/** The Orientation tag (0x0112) of IFD0 in a TIFF structure, or undefined. */
function readExifOrientation(tiff: Uint8Array): number | undefined {
  if (tiff.length < 8) return undefined;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return undefined;
  const read16 = (at: number) => (little ? tiff[at]! | (tiff[at + 1]! << 8) : (tiff[at]! << 8) | tiff[at + 1]!);
  const read32 = (at: number) => (little ? read16(at) + read16(at + 2) * 65536 : read16(at) * 65536 + read16(at + 2));
  const ifd = read32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const entries = read16(ifd);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (read16(entry) === 0x0112) return read16(entry + 8);
  }
  return undefined;
}
