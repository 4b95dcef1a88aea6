import { describe, expect, it } from 'vitest';
import { planActivations } from './plan-activations';

describe('planActivations', () => {
  it('counts a one-block-per-stage IResNet by hand', () => {
    // layers [1,1,1,1] ×0.25: stem 16, widths 16/32/64/128, D 64, input 16×16.
    // input 3·16·16 = 768; stem 3·16·256 = 12288.
    // block(Cin,h → Cout,h') = Cin·h² + 3·Cout·h² + 5·Cout·h'² (first block: downsample conv + BN)
    //   stage1 (16,16 → 16,8):  16·256 + 3·16·256 + 5·16·64 = 4096 + 12288 + 5120 = 21504
    //   stage2 (16,8 → 32,4):   16·64 + 3·32·64 + 5·32·16  = 1024 + 6144 + 2560 = 9728
    //   stage3 (32,4 → 64,2):   32·16 + 3·64·16 + 5·64·4   = 512 + 3072 + 1280 = 4864
    //   stage4 (64,2 → 128,1):  64·4 + 3·128·4 + 5·128·1  = 256 + 1536 + 640 = 2432
    // head: 128·1·1 + 2·64 = 256.   none = 768 + 12288 + 21504 + 9728 + 4864 + 2432 + 256 = 51840
    // stage ckpt: 768 + 12288 + 256 + stage inputs (4096 + 1024 + 512 + 256 = 5888) + last out 128 + max stage 21504 = 40832
    const plan = planActivations({ layers: [1, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64, inputSize: 16 });
    expect(plan.input).toBe(768);
    expect(plan.stem).toBe(12288);
    expect(plan.blocks).toEqual([[21504], [9728], [4864], [2432]]);
    expect(plan.head).toBe(256);
    expect(plan.none).toBe(51840);
    expect(plan.stage).toBe(40832);
    expect(plan.block).toBe(40832);
  });

  it('separates stage and block checkpointing when a stage has two blocks', () => {
    // layers [2,1,1,1]: stage1 block2 (16,8 → 16,8, no downsample) = 16·64 + 3·16·64 + 3·16·64 = 7168.
    // none = 51840 + 7168 = 59008
    // stage: 13312 (input+stem+head) + 5888 + 128 + max stage (21504 + 7168 = 28672) = 48000
    // block: 13312 + (5888 + 1024 block-2 input) + 128 + max block 21504 = 41856
    const plan = planActivations({ layers: [2, 1, 1, 1], widthMultiplier: 0.25, embeddingSize: 64, inputSize: 16 });
    expect(plan.blocks[0]).toEqual([21504, 7168]);
    expect(plan.none).toBe(59008);
    expect(plan.stage).toBe(48000);
    expect(plan.block).toBe(41856);
  });

  it('counts r18 at 112×112 by hand', () => {
    // input 3·12544 = 37632; stem 3·64·12544 = 2408448
    // s1b1 (64,112 → 64,56): 64·12544 + 3·64·12544 + 5·64·3136 = 802816 + 2408448 + 1003520 = 4214784
    // s1b2 (64,56): 7·64·3136 = 1404928
    // s2b1 (64,56 → 128,28): 200704 + 3·128·3136 + 5·128·784 = 200704 + 1204224 + 501760 = 1906688
    // s2b2: 7·128·784 = 702464;  s3b1 (128,28 → 256,14): 100352 + 602112 + 250880 = 953344;  s3b2: 7·256·196 = 351232
    // s4b1 (256,14 → 512,7): 50176 + 301056 + 125440 = 476672;  s4b2: 7·512·49 = 175616
    // head 512·49 + 1024 = 26112.  Sum = 12657920
    expect(planActivations('r18').none).toBe(12_657_920);
    // stage: 37632 + 2408448 + 26112 + (802816 + 200704 + 100352 + 50176) + 25088 + (4214784 + 1404928) = 9271040
    expect(planActivations('r18').stage).toBe(9_271_040);
  });
});
