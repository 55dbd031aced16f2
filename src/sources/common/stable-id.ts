import { createHash } from 'node:crypto';

/**
 * A deterministic id from stable parts of a record, for formats without an id of their own.
 * Parts are length-prefixed so ('ab','c') and ('a','bc') differ.
 */
export function stableId(prefix: string, ...parts: Array<string | number | undefined>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const s = p === undefined ? '\u0000' : String(p);
    h.update(`${s.length}:${s}|`);
  }
  return `${prefix}:${h.digest('hex').slice(0, 32)}`;
}
