// Ids for filter arrays, so that the addon can keep a filter reordered to oneDNN's layout across
// calls (native/addon.cc, ThreadState::weightsCache). A tfjs tensor's values never change after the
// kernel that made it returns (Variable.assign swaps in another tensor's array), so one id per
// Float32Array object names one filter; a recycled buffer comes back as a new Float32Array, hence a
// new id. When an array is collected, its reordered copies are dropped.
//
// One exception is guarded: on the cpu backend `dataSync()` returns the tensor's own array, and code
// that writes into it (against tfjs's immutability, e.g. to load weights in place) changes a filter
// under the same id. Arrays handed out that way carry a fingerprint (the bits of ~256 evenly spaced
// values), checked at each use: a changed one — or one seen for the first time since it was handed
// out — gets a new id, so a stale copy is never used.
import { wasReadByUser } from './buffer-pool';
import type { NativeAddon } from './load-addon';

const ids = new WeakMap<Float32Array, number>();
const fingerprints = new WeakMap<Float32Array, { bits: Int32Array; value: number }>();
let lastId = 0;
let collected: FinalizationRegistry<number> | undefined;

function fingerprint(bits: Int32Array): number {
  const step = Math.max(1, Math.floor(bits.length / 256));
  let hash = 0x811c9dc5;
  for (let i = 0; i < bits.length; i += step) hash = Math.imul(hash ^ (bits[i] as number), 16777619);
  return Math.imul(hash ^ (bits[bits.length - 1] ?? 0), 16777619);
}

/** The id of filter array `values` (1 ... 2^32 - 1), given on first sight and again when user code changed it. */
export function weightsId(addon: NativeAddon, values: Float32Array): number {
  if (wasReadByUser(values)) {
    const known = fingerprints.get(values);
    const bits = known?.bits ?? new Int32Array(values.buffer, values.byteOffset, values.length);
    const value = fingerprint(bits);
    // No fingerprint yet: it may have changed since it was read (and since its id was given).
    if (known === undefined || known.value !== value) {
      const stale = ids.get(values);
      if (stale !== undefined) addon.dropWeights(stale);
      ids.delete(values);
    }
    fingerprints.set(values, { bits, value });
  }
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
