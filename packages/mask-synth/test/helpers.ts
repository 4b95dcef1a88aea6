import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MEAN_FACE_68 } from '../src/mean-face-68';
import type { RawImage } from '../src/raw-image';

export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** A real photo shipped by the @vladmandic/face-api devDependency. */
export function photoPath(file: string): string {
  return `${packageRoot}node_modules/@vladmandic/face-api/${file}`;
}

interface Fixture {
  images: Record<string, { width: number; height: number; faces: { score: number; points: [number, number][] }[] }>;
}
export const landmarkFixture: Fixture = JSON.parse(readFileSync(`${packageRoot}test/fixtures/face-api-demo-landmarks.json`, 'utf8'));

/** A smooth skin-toned 112x112 (or any size) RGB image with a left-to-right light gradient. */
export function syntheticFace(width = 112, height = 112, brightness = 1): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const light = brightness * (0.7 + (0.3 * x) / width);
      const p = (y * width + x) * 3;
      data[p] = Math.min(255, Math.round(210 * light));
      data[p + 1] = Math.min(255, Math.round(160 * light));
      data[p + 2] = Math.min(255, Math.round(130 * light));
    }
  }
  return { data, width, height, channels: 3 };
}

export function uniformImage(width: number, height: number, value: number): RawImage {
  return { data: new Uint8Array(width * height * 3).fill(value), width, height, channels: 3 };
}

/** Alpha (0..255) at the pixel containing (x, y). */
export function alphaAt(alpha: Uint8Array, width: number, x: number, y: number): number {
  return alpha[Math.floor(y) * width + Math.floor(x)]!;
}

/** Points that must be under a mask: nose tip, the mouth, and the nose-tip→chin line down to 85 %. */
export function lowerFacePoints(points: readonly (readonly [number, number])[], height: number): [number, number][] {
  const noseTip = points[30]!;
  const chin = points[8]!;
  const out: [number, number][] = [noseTip as [number, number]];
  for (const index of [48, 50, 51, 52, 54, 56, 57, 58, 62, 66]) out.push(points[index] as [number, number]);
  for (const t of [0.25, 0.5, 0.75, 0.85]) {
    const point: [number, number] = [noseTip[0] + t * (chin[0] - noseTip[0]), noseTip[1] + t * (chin[1] - noseTip[1])];
    if (point[1] < height - 1) out.push(point);
  }
  return out;
}

/** The 12 eye contour points and the two eye centres. */
export function eyePoints(points: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 36; i <= 47; i++) out.push(points[i] as [number, number]);
  for (const [from, to] of [
    [36, 41],
    [42, 47],
  ] as const) {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += points[i]![0] / 6;
      y += points[i]![1] / 6;
    }
    out.push([x, y]);
  }
  return out;
}

export { MEAN_FACE_68 };
