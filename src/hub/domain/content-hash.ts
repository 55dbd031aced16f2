import { createHash } from 'node:crypto';
import type { ContactFields } from './canonical-contact.js';

/** JSON with object keys sorted at every level: equal content → equal text. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/**
 * Fields the canonical model gained after records were first stored: left out of a hash while
 * empty, so a record that does not use them hashes as it did before they existed (no stored
 * hash, link or version is invalidated by the model growing).
 */
export const LATER_FIELDS = ['linkedin_url', 'tags', 'last_contacted'] as const;

/** An empty value of a later field: null, undefined or an empty list. */
export function isEmptyLater(v: unknown): boolean {
  return v == null || (Array.isArray(v) && v.length === 0);
}

/**
 * Hash of a contact's content (not its sync metadata). Two systems holding the same content
 * hash equal, which is how echoes are recognised without timing windows.
 */
export function contentHash(fields: Partial<ContactFields> & { deleted_at?: string | null }): string {
  let content: Record<string, unknown> = fields;
  for (const k of LATER_FIELDS) {
    if (k in content && isEmptyLater(content[k])) {
      if (content === fields) content = { ...fields };
      delete content[k];
    }
  }
  return createHash('sha256').update(stableStringify(content)).digest('hex').slice(0, 32);
}
