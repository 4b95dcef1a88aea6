// Prints MEAN_FACE_68 for src/mean-face-68.ts: every face in test/fixtures/face-api-demo-landmarks.json
// is mapped onto the ArcFace 112x112 template by the least-squares similarity of its five key points
// (eye centres = mean of 36-41 / 42-47, nose tip 30, mouth corners 48 and 54), mirrored copies are
// added (so the mean is left/right symmetric), and the 68 points are averaged.
import fs from 'node:fs';
const fixture = JSON.parse(fs.readFileSync(new URL('../test/fixtures/face-api-demo-landmarks.json', import.meta.url), 'utf8'));
const template = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];
const mean = (points, from, to) => {
  let x = 0,
    y = 0;
  for (let i = from; i <= to; i++) {
    x += points[i][0];
    y += points[i][1];
  }
  return [x / (to - from + 1), y / (to - from + 1)];
};
const five = (p) => [mean(p, 36, 41), mean(p, 42, 47), p[30], p[48], p[54]];
function fit(from, to) {
  const n = from.length;
  let fx = 0,
    fy = 0,
    tx = 0,
    ty = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i][0];
    fy += from[i][1];
    tx += to[i][0];
    ty += to[i][1];
  }
  fx /= n;
  fy /= n;
  tx /= n;
  ty /= n;
  let dot = 0,
    cross = 0,
    norm = 0;
  for (let i = 0; i < n; i++) {
    const px = from[i][0] - fx,
      py = from[i][1] - fy,
      qx = to[i][0] - tx,
      qy = to[i][1] - ty;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  const a = dot / norm,
    b = cross / norm;
  return (p) => [a * p[0] - b * p[1] + tx - (a * fx - b * fy), b * p[0] + a * p[1] + ty - (b * fx + a * fy)];
}
// iBUG mirror permutation.
const mirror = [
  16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 27, 28, 29, 30, 35, 34, 33, 32, 31, 45, 44, 43, 42, 47, 46,
  39, 38, 37, 36, 41, 40, 54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55, 64, 63, 62, 61, 60, 67, 66, 65,
];
const sum = Array.from({ length: 68 }, () => [0, 0]);
let count = 0;
for (const image of Object.values(fixture.images))
  for (const face of image.faces) {
    if (face.score < 0.8) continue;
    const flipped = face.points.map((_, i) => [-face.points[mirror[i]][0], face.points[mirror[i]][1]]);
    for (const points of [face.points, flipped]) {
      const map = fit(five(points), template);
      points.forEach((p, i) => {
        const q = map(p);
        sum[i][0] += q[0];
        sum[i][1] += q[1];
      });
      count++;
    }
  }
console.log(`// ${count / 2} faces (+ mirrors)`);
console.log(JSON.stringify(sum.map(([x, y]) => [Number((x / count).toFixed(2)), Number((y / count).toFixed(2))])));
