import { assertArgument, hashSeed, Rng } from '@bigface/backend';

/**
 * Verification pairs over a set of labelled faces: pair p compares face `first[p]` with face
 * `second[p]` (indices into the faces), whose identities are `firstIdentity[p]` and
 * `secondIdentity[p]`. The identities are what a bootstrap over identities resamples.
 */
export interface IdentityPairs {
  first: Int32Array;
  second: Int32Array;
  firstIdentity: Int32Array;
  secondIdentity: Int32Array;
  issame: boolean[];
}

/** Options of {@link sampleIdentityPairs}. */
export interface SampleIdentityPairsOptions {
  /** Impostor pairs: two faces of two different identities, distinct pairs, seeded. */
  impostors: number;
  /** Genuine pairs per identity: every pair of its faces when omitted, else at most this many (seeded). */
  genuinePerIdentity?: number;
  seed: number;
}

/**
 * Genuine and impostor pairs of labelled faces, for a verification set of held-out identities:
 * genuine pairs are every pair of faces of one identity (or a seeded subset per identity), impostor
 * pairs are `impostors` distinct seeded pairs of faces of two different identities (identity pair
 * uniform, then a face of each). Genuine pairs come first, each ordered (lower index, higher index).
 * Deterministic in `seed`.
 *
 * @example
 * const pairs = sampleIdentityPairs([0, 0, 0, 1, 1, 2, 2], { impostors: 10, seed: 1 });
 * pairs.issame.filter(Boolean).length; // 5 genuine: 3 of identity 0, 1 each of 1 and 2
 */
export function sampleIdentityPairs(labels: ArrayLike<number>, options: SampleIdentityPairsOptions): IdentityPairs {
  const { impostors, genuinePerIdentity, seed } = options;
  assertArgument(
    Number.isInteger(impostors) && impostors >= 0,
    'EVAL_BAD_PAIRS',
    () => `sampleIdentityPairs: impostors must be a non-negative integer, got ${impostors}`,
  );
  assertArgument(
    genuinePerIdentity === undefined || (Number.isInteger(genuinePerIdentity) && genuinePerIdentity >= 0),
    'EVAL_BAD_PAIRS',
    () => `sampleIdentityPairs: genuinePerIdentity must be a non-negative integer or omitted (every pair), got ${genuinePerIdentity}`,
  );
  const byIdentity = new Map<number, number[]>();
  for (let face = 0; face < labels.length; face += 1) {
    const label = labels[face]!;
    assertArgument(Number.isInteger(label), 'EVAL_BAD_PAIRS', () => `sampleIdentityPairs: label ${face} is ${label}; labels must be integers`);
    if (!byIdentity.has(label)) byIdentity.set(label, []);
    byIdentity.get(label)!.push(face);
  }
  const identities = [...byIdentity.keys()].sort((a, b) => a - b);
  assertArgument(
    impostors === 0 || identities.length >= 2,
    'EVAL_BAD_PAIRS',
    () => `sampleIdentityPairs: impostor pairs need at least 2 identities, got ${identities.length}`,
  );
  let possibleImpostors = 0;
  let seen = 0;
  for (const identity of identities) {
    const count = byIdentity.get(identity)!.length;
    possibleImpostors += count * seen;
    seen += count;
  }
  assertArgument(
    impostors <= possibleImpostors,
    'EVAL_BAD_PAIRS',
    () => `sampleIdentityPairs: ${impostors} impostor pairs asked for, but these faces form only ${possibleImpostors}; ask for fewer or give more faces`,
  );

  const first: number[] = [];
  const second: number[] = [];
  const firstIdentity: number[] = [];
  const secondIdentity: number[] = [];
  const issame: boolean[] = [];
  const push = (a: number, b: number, same: boolean) => {
    first.push(a);
    second.push(b);
    firstIdentity.push(labels[a]!);
    secondIdentity.push(labels[b]!);
    issame.push(same);
  };
  for (const identity of identities) {
    const faces = byIdentity.get(identity)!;
    const all: [number, number][] = [];
    for (let i = 0; i < faces.length; i += 1) for (let j = i + 1; j < faces.length; j += 1) all.push([faces[i]!, faces[j]!]);
    let chosen = all;
    if (genuinePerIdentity !== undefined && genuinePerIdentity < all.length) {
      const order = new Rng(hashSeed(seed, 0x6e, identity)).permutation(all.length).subarray(0, genuinePerIdentity).sort();
      chosen = Array.from(order, (k) => all[k]!);
    }
    for (const [a, b] of chosen) push(a, b, true);
  }
  const rng = new Rng(hashSeed(seed, 0x1a9));
  const taken = new Set<number>();
  while (taken.size < impostors) {
    const i = rng.int(identities.length);
    const j = (i + 1 + rng.int(identities.length - 1)) % identities.length;
    const left = byIdentity.get(identities[i]!)!;
    const right = byIdentity.get(identities[j]!)!;
    const a = left[rng.int(left.length)]!;
    const b = right[rng.int(right.length)]!;
    const key = Math.min(a, b) * labels.length + Math.max(a, b);
    if (taken.has(key)) continue;
    taken.add(key);
    push(a, b, false);
  }
  return {
    first: Int32Array.from(first),
    second: Int32Array.from(second),
    firstIdentity: Int32Array.from(firstIdentity),
    secondIdentity: Int32Array.from(secondIdentity),
    issame,
  };
}
