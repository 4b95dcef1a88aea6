// A JPEG decoder for the benchmark's "wasm decode" path: libjpeg-turbo compiled to WebAssembly
// (@cornerstonejs/codec-libjpeg-turbo-8bit, a devDependency). For 112x112 crops sharp spends most of
// its time on per-image libvips set-up, not on decoding; this decoder has none of that. Its output
// equals sharp's for these files (checked in bench/run.mjs before timing).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export async function makeWasmJpegDecoder() {
  const factory = require('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs');
  const codec = await factory();
  const decoder = new codec.JPEGDecoder();
  return (bytes) => {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const { width, height, componentCount } = decoder.getFrameInfo();
    if (componentCount !== 3) throw new Error(`wasm decoder: expected an RGB JPEG, got ${componentCount} components`);
    const pixels = decoder.getDecodedBuffer(); // a Uint8ClampedArray view of wasm memory
    return { data: new Uint8Array(pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + pixels.length)), width, height, channels: 3 };
  };
}
