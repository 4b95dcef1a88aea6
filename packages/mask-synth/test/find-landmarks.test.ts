// maskImage on a raw photo: the faces come from an injected landmark finder (a detector lives outside
// this tensor-free package); here the finder returns face-api.js's landmarks from the fixture.
import { describe, expect, it } from 'vitest';
import { hashSeed } from '@bigface/backend/random';
import { decodeImage } from '../src/decode-image';
import { maskImage, type LandmarkFinder } from '../src/mask-image';
import { alphaAt, eyePoints, landmarkFixture, lowerFacePoints, photoPath, syntheticFace } from './helpers';
import { encodeImage } from '../src/encode-image';

const faces = landmarkFixture.images['demo/sample1.jpg']!.faces;

describe('maskImage with findLandmarks (raw photos)', () => {
  it('masks every face the finder returns, in the right place, the first with the image seed', async () => {
    const calls: string[] = [];
    const findLandmarks: LandmarkFinder = async (image, { inputName }) => {
      calls.push(`${inputName} ${image.width}x${image.height}`);
      return faces.map((face) => face.points);
    };
    const result = await maskImage(photoPath('demo/sample1.jpg'), { seed: 3, synthesizer: 'natural', findLandmarks, format: 'png' });
    expect(calls).toEqual([`${photoPath('demo/sample1.jpg')} 1920x1280`]);
    expect(result.faces).toHaveLength(3);
    for (const face of faces) {
      for (const [x, y] of lowerFacePoints(face.points, 1280)) expect(alphaAt(result.alpha, 1920, x, y)).toBeGreaterThanOrEqual(250);
      for (const [x, y] of eyePoints(face.points)) expect(alphaAt(result.alpha, 1920, x, y)).toBe(0);
    }
    // Face 0 is masked exactly as with its landmarks given; face k uses hashSeed(seed, k).
    const single = await maskImage(photoPath('demo/sample1.jpg'), { seed: 3, synthesizer: 'natural', landmarks: faces[0]!.points, format: 'png' });
    expect(result.faces![0]!.metadata).toEqual(single.metadata);
    expect(result.faces![1]!.metadata!.seed).toBe(hashSeed(3, 1));
    const decoded = await decodeImage(result.encoded);
    expect([decoded.width, decoded.height]).toEqual([1920, 1280]);
  });

  it('a photo where the finder finds no face is FACE_NOT_FOUND naming it; aligned crops and given landmarks never call it', async () => {
    const none: LandmarkFinder = async () => [];
    await expect(maskImage(photoPath('demo/sample2.jpg'), { seed: 1, synthesizer: 'textured', findLandmarks: none })).rejects.toMatchObject({
      code: 'FACE_NOT_FOUND',
      message: expect.stringContaining('sample2.jpg'),
    });
    const never: LandmarkFinder = async () => {
      throw new Error('should not be called');
    };
    const crop = await encodeImage(syntheticFace(), 'png');
    await expect(maskImage(crop, { seed: 1, synthesizer: 'natural', findLandmarks: never })).resolves.toMatchObject({ width: 112 });
    await expect(
      maskImage(photoPath('demo/sample1.jpg'), { seed: 1, synthesizer: 'natural', landmarks: faces[1]!.points, findLandmarks: never }),
    ).resolves.toMatchObject({ width: 1920 });
    // Without a finder a photo still needs landmarks, and the message says where a finder comes from.
    await expect(maskImage(photoPath('demo/sample1.jpg'), { seed: 1, synthesizer: 'natural' })).rejects.toThrow(/createLandmarkFinder from @bigface\/data/);
  });
});
