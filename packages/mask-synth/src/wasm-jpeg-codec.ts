import { readJpegHeader } from './jpeg-header';
import type { RawImage } from './raw-image';

/**
 * Images up to this many pixels go through libjpeg-turbo in WebAssembly instead of sharp. For small
 * images sharp's per-call cost (a libvips pipeline, a trip through libuv's thread pool) is most of the
 * time: at 112x112 the WebAssembly codec decodes in ~0.2 ms and encodes in ~0.25 ms where sharp takes
 * ~1.0 and ~0.9 ms; from about 300x300 on, sharp's SIMD code is faster (measured, see the README).
 */
export const WASM_JPEG_MAX_PIXELS = 256 * 256;

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
}
interface WasmEncoder {
  getDecodedBuffer(frameInfo: FrameInfo): Uint8Array;
  setQuality(quality: number): void;
  setProgressive(progressive: boolean): void;
  setSubSampling(subsampling: number): void;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
}
interface WasmCodec {
  decoder: WasmDecoder;
  encoder: WasmEncoder;
}

// libjpeg-turbo's TJSAMP_420: 2x2 chroma subsampling, as sharp's default.
const SUBSAMPLING_420 = 2;

// One codec per thread (each worker thread has its own module instance), created on first use. A
// codec that threw is dropped, so a later call starts from a fresh WebAssembly instance.
let codec: Promise<WasmCodec | null> | undefined;

async function loadCodec(): Promise<WasmCodec | null> {
  try {
    const loaded = (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs')) as { default?: unknown };
    const factory = (loaded.default ?? loaded) as () => Promise<{ JPEGDecoder: new () => WasmDecoder; JPEGEncoder: new () => WasmEncoder }>;
    const module = await factory();
    const encoder = new module.JPEGEncoder();
    encoder.setProgressive(false);
    encoder.setSubSampling(SUBSAMPLING_420);
    return { decoder: new module.JPEGDecoder(), encoder };
  } catch {
    return null; // no WebAssembly codec here: sharp does all the work
  }
}

function getCodec(): Promise<WasmCodec | null> {
  codec ??= loadCodec();
  return codec;
}

/**
 * Decodes `bytes` with the WebAssembly libjpeg-turbo when it is a small, plain JPEG whose pixels are
 * the same as sharp's: 8-bit, 3 components, Huffman-coded (baseline, extended or progressive), no EXIF
 * rotation, no ICC profile to convert, ending with the end-of-image marker (not cut off), at most
 * {@link WASM_JPEG_MAX_PIXELS}. Returns null for anything else: the caller uses sharp, which also
 * produces the errors for bad files.
 */
export async function decodeSmallJpeg(bytes: Uint8Array): Promise<RawImage | null> {
  const header = readJpegHeader(bytes);
  if (
    header === null ||
    !(header.frameMarker === 0xc0 || header.frameMarker === 0xc1 || header.frameMarker === 0xc2) ||
    header.precision !== 8 ||
    header.components !== 3 ||
    header.width * header.height > WASM_JPEG_MAX_PIXELS ||
    header.width === 0 ||
    header.height === 0 ||
    (header.orientation !== undefined && header.orientation !== 1) ||
    header.hasIccProfile ||
    !header.endsWithEndOfImage
  ) {
    return null;
  }
  const loaded = await getCodec();
  if (loaded === null) return null;
  try {
    const { decoder } = loaded;
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const { width, height, componentCount } = decoder.getFrameInfo();
    if (width !== header.width || height !== header.height || componentCount !== 3) return null;
    // The decoded buffer is a view of WebAssembly memory: copy it out before the next call reuses it.
    const data = new Uint8Array(decoder.getDecodedBuffer());
    return data.length === width * height * 3 ? { data, width, height, channels: 3 } : null;
  } catch {
    codec = undefined;
    return null;
  }
}

/**
 * Encodes 3-channel pixels of at most {@link WASM_JPEG_MAX_PIXELS} to a baseline JPEG (4:2:0, like
 * sharp's default) with the WebAssembly libjpeg-turbo, or returns null (the caller uses sharp).
 */
export async function encodeSmallJpeg(image: RawImage, quality: number): Promise<Buffer | null> {
  if (image.channels !== 3 || image.width * image.height > WASM_JPEG_MAX_PIXELS) return null;
  const loaded = await getCodec();
  if (loaded === null) return null;
  try {
    const { encoder } = loaded;
    encoder.getDecodedBuffer({ width: image.width, height: image.height, bitsPerSample: 8, componentCount: 3, isSigned: false }).set(image.data);
    encoder.setQuality(quality);
    encoder.encode();
    return Buffer.from(encoder.getEncodedBuffer()); // a copy out of WebAssembly memory
  } catch {
    codec = undefined;
    return null;
  }
}
