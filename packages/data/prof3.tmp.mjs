const { initBackend, tf } = await import('@bigface/backend');
const { FaceDetector } = await import('@bigface/data');
const { decodeImage } = await import('@bigface/mask-synth');
const sharp = (await import('sharp')).default;
const info = await initBackend();
const bytes = await sharp('node_modules/@vladmandic/face-api/demo/sample5.jpg').resize(640).jpeg().toBuffer();
for (const model of ['ssd-mobilenet-v1', 'tiny-face-detector']) {
  const d = FaceDetector.load({ model });
  const image = await decodeImage(bytes);
  let faces;
  for (let r = 0; r < 4; r++) {
    let t = performance.now(); const img = await decodeImage(bytes); const tDecode = performance.now() - t;
    t = performance.now(); faces = await d.detect(img); const tDetect = performance.now() - t;
    t = performance.now(); await d.landmarks(img, faces.map(f => f.box)); const tLm = performance.now() - t;
    if (r >= 2) console.log(info.description, model, 'decode', tDecode.toFixed(0), 'detect+landmarks', tDetect.toFixed(0), 'landmarks alone', tLm.toFixed(0), 'faces', faces.length);
  }
  d.dispose();
}
