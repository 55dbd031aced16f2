/** The constant of reciprocal rank fusion: a hit at rank r (from 1) scores 1 / (k + r). */
export const RRF_K = 60;

/**
 * Reciprocal rank fusion of ranked lists (best first) of ids: each id scores the sum over the
 * lists it is in of 1 / (k + rank). Best first; ties keep the order of first appearance.
 */
export function reciprocalRankFusion<T>(lists: readonly (readonly T[])[], k = RRF_K): { id: T; score: number }[] {
  const scores = new Map<T, number>();
  for (const list of lists) {
    const seen = new Set<T>();
    list.forEach((id, i) => {
      if (seen.has(id)) return;
      seen.add(id);
      scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1));
    });
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
