import { createHash } from 'node:crypto';

/**
 * A deterministic stand-in for an embedding model: the text's words (lower-cased, a plural
 * `s` dropped) and word pairs are hashed into `dims` signed buckets, then the vector is
 * L2-normalised. Texts sharing words point the same way, so a query sharing words with a text
 * is near it by cosine distance; unrelated texts are near orthogonal.
 */
export function textVector(text: string, dims: number): number[] {
  const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => (w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w));
  const v = new Float64Array(dims);
  const add = (feature: string, weight: number) => {
    const h = createHash('sha1').update(feature).digest();
    const bucket = h.readUInt32LE(0) % dims;
    v[bucket]! += (h[4]! & 1 ? 1 : -1) * weight;
  };
  for (let i = 0; i < words.length; i++) {
    add(`w:${words[i]}`, 1);
    if (i + 1 < words.length) add(`b:${words[i]} ${words[i + 1]}`, 0.5);
  }
  // An empty text still gets a unit vector (real models never answer a zero vector).
  if (!words.length) add('empty', 1);
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return Array.from(v, (x) => x / norm);
}
