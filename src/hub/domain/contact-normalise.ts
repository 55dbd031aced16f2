import type { CountryCode } from 'libphonenumber-js';
import { normaliseEmail, normalisePhone } from '../../domain/people/identity.js';

/*
 * Contacts reuse the people graph's identity normalisers (src/domain/people/identity.ts) so a contact's
 * emails and phones compare exactly like a person's identity keys.
 */
export { normaliseEmail, normalisePhone };

/** Sorted, de-duplicated normalised emails; unreadable entries kept trimmed and lower-cased so they still compare. */
export function normaliseEmailList(list: readonly string[]): string[] {
  return [...new Set(list.map((e) => normaliseEmail(e) ?? e.trim().toLowerCase()))].sort();
}

/** Sorted, de-duplicated E.164 phones; unreadable entries kept as their digits (and leading +). */
export function normalisePhoneList(list: readonly string[], region?: CountryCode): string[] {
  return [...new Set(list.map((p) => normalisePhone(p, region) ?? p.replace(/[^\d+]/g, '')))].sort();
}

/** null, undefined, blank strings, empty arrays and objects with only empty values count as "no value". */
export function isEmptyValue(v: unknown): boolean {
  if (v == null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as object).every(isEmptyValue);
  return false;
}
