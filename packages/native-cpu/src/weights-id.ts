// Ids for filter arrays, so that the addon can keep a filter reordered to oneDNN's layout across
// calls (native/addon.cc, ThreadState::weightsCache). A tfjs tensor's values never change after the
// kernel that made it returns (Variable.assign swaps in another tensor's array), so one id per
// Float32Array object names one immutable filter; a recycled buffer comes back as a new
// Float32Array, hence a new id. When an array is collected, its reordered copies are dropped.
import type { NativeAddon } from './load-addon';

const ids = new WeakMap<Float32Array, number>();
let lastId = 0;
let collected: FinalizationRegistry<number> | undefined;

/** The id of filter array `values` (1 ... 2^32 - 1), given on first sight. */
export function weightsId(addon: NativeAddon, values: Float32Array): number {
  let id = ids.get(values);
  if (id === undefined) {
    lastId = lastId >= 0xffffffff ? 1 : lastId + 1;
    id = lastId;
    ids.set(values, id);
    collected ??= new FinalizationRegistry((dead: number) => addon.dropWeights(dead));
    collected.register(values, id);
  }
  return id;
}
