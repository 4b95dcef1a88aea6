/** One entry of the zoo: the number of IBasicBlocks in each of the four stages. */
export interface BackboneSpec {
  /** Blocks per stage (four stages: widths 64, 128, 256, 512). */
  readonly layers: readonly [number, number, number, number];
  /** Where the architecture comes from. */
  readonly source: 'insightface' | 'bigface-deck';
}

/**
 * The IResNet zoo as plain data: insightface's `iresnet.py` models and the BigFace deck's Table 1.
 *
 * The deck lists stages 1-3 only (r120 [3,13,40], r140 [3,15,48], r240 [3,25,88], r600 [3,70,220],
 * r1.2k [3,80,512]); we give them a 4th stage of 3 blocks, which makes r120/r140/r240 exactly
 * 120/140/240 layers deep (depth = 2 * sum(layers) + 2). r200 keeps insightface's [6,26,60,6].
 *
 * @example
 * import { BACKBONES } from '@bigface/resnet-zoo';
 * BACKBONES.r50.layers; // [3, 4, 14, 3]
 */
export const BACKBONES = {
  r18: { layers: [2, 2, 2, 2], source: 'insightface' },
  r34: { layers: [3, 4, 6, 3], source: 'insightface' },
  r50: { layers: [3, 4, 14, 3], source: 'insightface' },
  r100: { layers: [3, 13, 30, 3], source: 'insightface' },
  r120: { layers: [3, 13, 40, 3], source: 'bigface-deck' },
  r140: { layers: [3, 15, 48, 3], source: 'bigface-deck' },
  r200: { layers: [6, 26, 60, 6], source: 'insightface' },
  r240: { layers: [3, 25, 88, 3], source: 'bigface-deck' },
  r600: { layers: [3, 70, 220, 3], source: 'bigface-deck' },
  'r1.2k': { layers: [3, 80, 512, 3], source: 'bigface-deck' },
  r2060: { layers: [3, 128, 896, 3], source: 'insightface' },
} as const satisfies Record<string, BackboneSpec>;

/** A name in {@link BACKBONES}. */
export type BackboneName = keyof typeof BACKBONES;
