/**
 * The search benchmarks' made-up text: a vocabulary of 5,000 words drawn with a Zipf-like skew
 * (a few common words, many rare ones), from a deterministic generator, so every benchmark over
 * it indexes and queries the same text.
 */

/** Deterministic pseudo-random numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
}

const SYL = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'zi', 'pe', 'sa', 'do', 'fu', 'gi', 'ha', 'ju', 'be'];
export const VOCAB = Array.from({ length: 5000 }, (_, i) => SYL[i % 16]! + SYL[(i >> 4) % 16]! + SYL[(i >> 8) % 16]! + (i >= 4096 ? 'x' : ''));

/** One word: word i is drawn with probability ∝ the gaps of (i/5000)^(1/3). */
export const word = (r: () => number): string => VOCAB[Math.floor(VOCAB.length * r() ** 3)]!;
export const words = (r: () => number, n: number): string => Array.from({ length: n }, () => word(r)).join(' ');

/** The benchmark queries: `n` queries of two or three words. */
export function benchQueries(n: number): string[] {
  const r = rng(7);
  return Array.from({ length: n }, () => words(r, 2 + Math.floor(r() * 2)));
}
