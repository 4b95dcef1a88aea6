import { describe, expect, it } from 'vitest';
import { countFlops } from './count-flops';

describe('countFlops', () => {
  it('counts a tiny IResNet exactly (arithmetic below)', () => {
    // stem 8, widths 8/16/32/64, [1,1,1,1], input 16x16, 16-d. MACs = out_h * out_w * in * k * k * out:
    // stem          16*16*3*9*8                                   =  55,296
    // layer1 conv1  16*16*8*9*8 = 147,456; conv2 8*8*8*9*8 = 36,864; downsample 8*8*8*8 = 4,096 -> 188,416
    // layer2 conv1  8*8*8*9*16 = 73,728;   conv2 4*4*16*9*16 = 36,864; downsample 4*4*8*16 = 2,048 -> 112,640
    // layer3 conv1  4*4*16*9*32 = 73,728;  conv2 2*2*32*9*32 = 36,864; downsample 2*2*16*32 = 2,048 -> 112,640
    // layer4 conv1  2*2*32*9*64 = 73,728;  conv2 1*1*64*9*64 = 36,864; downsample 1*1*32*64 = 2,048 -> 112,640
    // fc            64*16                                          =   1,024
    // total                                                        = 582,656
    const count = countFlops({ layers: [1, 1, 1, 1], widthMultiplier: 0.125, inputSize: 16, embeddingSize: 16 });
    expect(count.multiplyAccumulates).toBe(582_656);
    expect(count.gmacs).toBeCloseTo(582_656 / 1e9, 15);
    expect(count.gflops).toBeCloseTo((2 * 582_656) / 1e9, 15);
  });

  it('agrees with an outside count for r100', () => {
    // Open Model Zoo, face-recognition-resnet100-arcface (insightface LResNet100E-IR): 24.2115 GFLOPs,
    // counting BN/PReLU/adds too, which we leave out (under 0.2%).
    expect(countFlops('r100').gflops).toBeGreaterThan(24.1);
    expect(countFlops('r100').gflops).toBeLessThan(24.2115);
  });
});
