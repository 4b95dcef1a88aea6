import { describe, expect, it } from 'vitest';
import { sampleIdentityPairs } from './sample-identity-pairs';

describe('sampleIdentityPairs', () => {
  it('takes every genuine pair and distinct seeded impostors across identities', () => {
    // Identity 3 has 4 faces (6 pairs), identity 1 has 3 (3 pairs), identity 8 has 1 (none): 9 genuine.
    const labels = [3, 1, 3, 8, 1, 3, 1, 3];
    const pairs = sampleIdentityPairs(labels, { impostors: 12, seed: 4 });
    const genuine = pairs.issame.filter(Boolean).length;
    expect(genuine).toBe(9);
    expect(pairs.issame.length).toBe(21);
    const keys = new Set<string>();
    pairs.issame.forEach((same, p) => {
      const [a, b] = [pairs.first[p]!, pairs.second[p]!];
      expect([pairs.firstIdentity[p], pairs.secondIdentity[p]]).toEqual([labels[a], labels[b]]);
      expect(labels[a] === labels[b]).toBe(same);
      const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
      expect(keys.has(key), key).toBe(false);
      keys.add(key);
    });
    // Genuine first, ordered by identity then face index.
    expect(Array.from(pairs.first.subarray(0, 3))).toEqual([1, 1, 4]);
    expect(sampleIdentityPairs(labels, { impostors: 12, seed: 4 })).toEqual(pairs);
    expect(sampleIdentityPairs(labels, { impostors: 12, seed: 5 }).first).not.toEqual(pairs.first);
  });

  it('caps the genuine pairs per identity when asked, deterministically', () => {
    const labels = Array.from({ length: 30 }, (_, face) => face % 3); // 10 faces per identity: 45 pairs each
    const capped = sampleIdentityPairs(labels, { impostors: 0, genuinePerIdentity: 7, seed: 1 });
    expect(capped.issame.length).toBe(21);
    for (const identity of [0, 1, 2]) expect(Array.from(capped.firstIdentity).filter((label) => label === identity)).toHaveLength(7);
    expect(sampleIdentityPairs(labels, { impostors: 0, genuinePerIdentity: 7, seed: 1 })).toEqual(capped);
  });

  it('says when there are not enough faces for the impostors asked for', () => {
    // 2 + 1 faces of two identities form 2 impostor pairs.
    expect(() => sampleIdentityPairs([0, 0, 1], { impostors: 3, seed: 0 })).toThrow(/3 impostor pairs asked for, but these faces form only 2/);
    expect(sampleIdentityPairs([0, 0, 1], { impostors: 2, seed: 0 }).issame).toEqual([true, false, false]);
    expect(() => sampleIdentityPairs([0, 0], { impostors: 1, seed: 0 })).toThrow(/at least 2 identities/);
  });
});
