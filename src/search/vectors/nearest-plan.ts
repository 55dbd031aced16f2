/**
 * How to answer a nearest-neighbour query restricted to a set of hashes (a person filter may
 * pass thousands): compare against exactly that set when it is small next to the whole model
 * (or on an engine whose KNN is exact anyway), otherwise ask the approximate index for more
 * neighbours than wanted, in proportion to how much of the model the set covers, keep those in
 * the set, and fall back to the exact scan when too few survive.
 */
export type NearestPlan = { kind: 'exact' } | { kind: 'knn'; candidates: number };

/** Sets up to this size are always compared exactly (an index lookup per hash is cheap). */
export const EXACT_WITHIN_MAX = 5000;
/** Most neighbours asked of the approximate index for one query. */
export const MAX_CANDIDATES = 1000;

export function planNearest(k: number, withinSize: number | undefined, storedCount: number, exactKnn: boolean, exactWithinMax = EXACT_WITHIN_MAX): NearestPlan {
  if (withinSize === undefined) return exactKnn ? { kind: 'exact' } : { kind: 'knn', candidates: k };
  if (exactKnn || withinSize <= exactWithinMax || withinSize >= storedCount) return { kind: 'exact' };
  const share = withinSize / Math.max(1, storedCount);
  const candidates = Math.ceil((k / share) * 2);
  return candidates > MAX_CANDIDATES ? { kind: 'exact' } : { kind: 'knn', candidates };
}
