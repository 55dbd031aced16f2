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
 * Hash of a contact's content (not its sync metadata). Two systems holding the same content
 * hash equal, which is how echoes are recognised without timing windows.
 */
export function contentHash(fields: Partial<ContactFields> & { deleted_at?: string | null }): string {
  return createHash('sha256').update(stableStringify(fields)).digest('hex').slice(0, 32);
}
