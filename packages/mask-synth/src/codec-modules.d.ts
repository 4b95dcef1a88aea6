// libjpeg-turbo compiled to WebAssembly (an Emscripten module factory); typed where it is used.
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs';
