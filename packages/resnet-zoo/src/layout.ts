import type { IResNetConfig } from './resolve-iresnet-config';
import type { StateDictEntry } from './state-dict-spec';

// Internal: converts between PyTorch's layouts and ours (see TensorLayout).

/** The tfjs shape of a state-dict entry. */
export function tfjsShape(entry: StateDictEntry): number[] {
  const s = entry.shape;
  if (entry.layout === 'conv') return [s[2]!, s[3]!, s[1]!, s[0]!];
  if (entry.layout === 'linear') return [s[1]!, s[0]!];
  return [...s];
}

/** OIHW -> HWIO for convs; [out, C*H*W] (NCHW flatten) -> [H*W*C, out] (NHWC flatten) for the FC. */
export function torchToTfjs(entry: StateDictEntry, data: Float32Array, config: IResNetConfig): Float32Array {
  if (entry.layout === 'vector') return data;
  const [o, c, h, w] = dims(entry, config);
  const out = new Float32Array(data.length);
  for (let oo = 0; oo < o; oo++)
    for (let cc = 0; cc < c; cc++)
      for (let hh = 0; hh < h; hh++) for (let ww = 0; ww < w; ww++) out[((hh * w + ww) * c + cc) * o + oo] = data[((oo * c + cc) * h + hh) * w + ww]!;
  return out;
}

/** The inverse of {@link torchToTfjs}. */
export function tfjsToTorch(entry: StateDictEntry, data: Float32Array, config: IResNetConfig): Float32Array {
  if (entry.layout === 'vector') return data;
  const [o, c, h, w] = dims(entry, config);
  const out = new Float32Array(data.length);
  for (let oo = 0; oo < o; oo++)
    for (let cc = 0; cc < c; cc++)
      for (let hh = 0; hh < h; hh++) for (let ww = 0; ww < w; ww++) out[((oo * c + cc) * h + hh) * w + ww] = data[((hh * w + ww) * c + cc) * o + oo]!;
  return out;
}

/** [O, C, H, W]: for the FC, C/H/W are the channels and spatial size of the last feature map. */
function dims(entry: StateDictEntry, config: IResNetConfig): [number, number, number, number] {
  const s = entry.shape;
  if (entry.layout === 'conv') return [s[0]!, s[1]!, s[2]!, s[3]!];
  return [s[0]!, config.widths[3]!, config.finalHeight, config.finalWidth];
}
