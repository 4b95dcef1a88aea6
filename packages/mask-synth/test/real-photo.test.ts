// Real faces: @vladmandic/face-api's demo photo sample1.jpg (three people, two heads tilted), with
// 68-point landmarks detected once by face-api itself (test/fixtures/face-api-demo-landmarks.json).
import { beforeAll, describe, expect, it } from 'vitest';
import { alignFace } from '../src/align-face';
import { applyNaturalMask } from '../src/apply-natural-mask';
import { applyTexturedMask } from '../src/apply-textured-mask';
import { decodeImage } from '../src/decode-image';
import { MASK_TYPES } from '../src/mask-types';
import type { RawImage } from '../src/raw-image';
import { alphaAt, eyePoints, landmarkFixture, lowerFacePoints, MEAN_FACE_68, photoPath } from './helpers';

let photo: RawImage;
const faces = landmarkFixture.images['demo/sample1.jpg']!.faces;

beforeAll(async () => {
  photo = await decodeImage(photoPath('demo/sample1.jpg'));
});

describe('masks on a real photo with detected 68-point landmarks', () => {
  it('the fixture matches the photo', () => {
    expect([photo.width, photo.height]).toEqual([1920, 1280]);
    expect(faces).toHaveLength(3);
  });

  it.each([0, 1, 2])('face %i: both synthesizers cover nose tip to chin and leave the eyes', (index) => {
    const points = faces[index]!.points;
    const results = [
      ...MASK_TYPES.map((type) => applyTexturedMask(photo, { seed: index, landmarks: points, type })),
      applyNaturalMask(photo, { seed: index, landmarks: points }),
    ];
    for (const { alpha, metadata } of results) {
      for (const [x, y] of lowerFacePoints(points, photo.height)) {
        expect(alphaAt(alpha, photo.width, x, y), `${metadata!.type} at (${x}, ${y})`).toBeGreaterThanOrEqual(250);
      }
      for (const [x, y] of eyePoints(points)) expect(alphaAt(alpha, photo.width, x, y), `${metadata!.type} eye`).toBe(0);
    }
  });

  it('changes only pixels under the mask', () => {
    const { image, alpha } = applyNaturalMask(photo, { seed: 4, landmarks: faces[2]!.points });
    let changedOutside = 0;
    let changedInside = 0;
    for (let i = 0; i < alpha.length; i++) {
      const changed =
        image.data[i * 3] !== photo.data[i * 3] || image.data[i * 3 + 1] !== photo.data[i * 3 + 1] || image.data[i * 3 + 2] !== photo.data[i * 3 + 2];
      if (alpha[i] === 0 && changed) changedOutside++;
      if (alpha[i] === 255 && changed) changedInside++;
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(5000);
  });

  it('aligned 112x112 crops of the real faces, without landmarks, are masked the same way', () => {
    for (const face of faces) {
      const { image } = alignFace(photo, face.points);
      for (const result of [applyTexturedMask(image, { seed: 8 }), applyNaturalMask(image, { seed: 8 })]) {
        for (const [x, y] of lowerFacePoints(MEAN_FACE_68, 112)) expect(alphaAt(result.alpha, 112, x, y)).toBeGreaterThanOrEqual(250);
        for (const [x, y] of eyePoints(MEAN_FACE_68)) expect(alphaAt(result.alpha, 112, x, y)).toBe(0);
      }
    }
  });
});
