function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Merges `override` into `base` (neither is modified): objects merge key by key, arrays and scalars
 * replace, and `null` removes the key (so an override can drop, say, `distill`).
 *
 * @example
 * deepMerge({ loss: { m: 0.4, s: 64 } }, { loss: { m: 0.5 } }); // { loss: { m: 0.5, s: 64 } }
 */
export function deepMerge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete result[key];
    else if (isPlainObject(value)) result[key] = deepMerge(isPlainObject(result[key]) ? (result[key] as Record<string, unknown>) : {}, value);
    else result[key] = structuredClone(value);
  }
  return result;
}

export { isPlainObject };
