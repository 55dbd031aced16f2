import type { CanonicalContact, ContactFields } from './canonical-contact.js';
import { contentHash, isEmptyLater, LATER_FIELDS } from './content-hash.js';

/** Every editable canonical field, in a fixed order (the ownership table and diffs use it). */
export const CONTACT_FIELD_KEYS = [
  'canonical_name',
  'first_name',
  'last_name',
  'emails',
  'phones',
  'company',
  'job_title',
  'category_code',
  'subcategory_code',
  'notes',
  'llm_context',
  'linkedin_url',
  'tags',
  'last_contacted',
] as const satisfies readonly (keyof ContactFields)[];
export type ContactFieldKey = (typeof CONTACT_FIELD_KEYS)[number];

export function isContactFieldKey(k: string): k is ContactFieldKey {
  return (CONTACT_FIELD_KEYS as readonly string[]).includes(k);
}

const LIST_FIELDS: ReadonlySet<string> = new Set(['emails', 'phones']);
const LATER: ReadonlySet<string> = new Set(LATER_FIELDS);

/** The content of a canonical record: its fields plus the soft-delete time, no sync metadata; later fields only when set. */
export type ContactContent = ContactFields & { deleted_at: string | null };

export function contactContent(c: ContactFields & { deleted_at?: string | null }): ContactContent {
  const out = {} as Record<string, unknown>;
  for (const k of CONTACT_FIELD_KEYS) {
    // A later field (linkedin_url, tags, last_contacted) is present only when it holds something.
    if (LATER.has(k)) {
      if (!isEmptyLater(c[k])) out[k] = c[k];
    } else out[k] = c[k] ?? (LIST_FIELDS.has(k) ? [] : null);
  }
  out.deleted_at = c.deleted_at ?? null;
  return out as ContactContent;
}

/** Content hash of a whole canonical record (what the `contacts.content_hash` column holds). */
export function hashContact(c: CanonicalContact | ContactContent): string {
  return contentHash(contactContent(c));
}

/**
 * Keep only `keys` of a record: the part of the canonical record one system holds (Twenty has
 * no llm_context, for example). Missing keys are skipped, not nulled.
 */
export function projectFields(c: Partial<ContactFields>, keys: readonly ContactFieldKey[]): Partial<ContactFields> {
  const out: Partial<Record<ContactFieldKey, unknown>> = {};
  for (const k of keys) if (c[k] !== undefined) out[k] = c[k];
  return out as Partial<ContactFields>;
}

/**
 * Hash of the fields one system holds plus its deleted flag. Echo suppression compares this
 * value for what Kith wrote (the canonical record projected onto the system's fields) with the
 * same value computed from what the system sends back.
 */
export function hashSystemFields(fields: Partial<ContactFields>, deletedAt: string | null = null): string {
  const present: Record<string, unknown> = {};
  for (const k of CONTACT_FIELD_KEYS) if (fields[k] !== undefined) present[k] = fields[k];
  return contentHash({ ...present, deleted_at: deletedAt == null ? null : 'deleted' });
}

/** The canonical record as a system holding `keys` should store it, hashed for the link table. */
export function hashForSystem(c: CanonicalContact, keys: readonly ContactFieldKey[] = CONTACT_FIELD_KEYS): string {
  return hashSystemFields(projectFields(c, keys), c.deleted_at);
}
