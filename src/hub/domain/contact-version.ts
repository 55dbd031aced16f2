import type { CanonicalContact, SystemName } from './canonical-contact.js';
import { CONTACT_FIELD_KEYS, type ContactContent, contactContent } from './contact-content.js';
import { stableStringify } from './content-hash.js';

/**
 * One version of a canonical record as the store's history keeps it: the record itself, which
 * fields changed against the version before, and where the change came from — the system that
 * made it (`sync_metadata.last_updated_by`) and the path it took into Kith (`origin`: a webhook,
 * the sweep, a local edit, the promotion, a conflict resolution …; null where the store does not
 * keep it).
 */
export interface ContactVersion {
  contactId: string;
  version: number;
  /** When the change happened (sync_metadata.last_updated), ISO. */
  at: string;
  system: SystemName;
  origin: string | null;
  /** Fields that differ from the version before (`deleted_at` for a delete or restore); every set field for the first. */
  changed: string[];
  deleted: boolean;
  record: ContactContent;
  /** When the store wrote this version, ISO. */
  recordedAt: string;
}

/** The fields whose values differ between two contents, in the canonical order; from nothing, every field holding a value. */
export function changedFields(before: ContactContent | undefined, after: ContactContent): string[] {
  const keys = [...CONTACT_FIELD_KEYS, 'deleted_at'] as const;
  const empty = (v: unknown) => v == null || (Array.isArray(v) && v.length === 0);
  return keys.filter((k) => (before ? stableStringify(before[k] ?? null) !== stableStringify(after[k] ?? null) : !empty(after[k])));
}

/** A written canonical record as a history entry, compared with the content stored before it. */
export function versionOf(c: CanonicalContact, before: ContactContent | undefined, origin: string | null, recordedAt: string): ContactVersion {
  const record = contactContent(c);
  return {
    contactId: c.contact_id,
    version: c.sync_metadata.version,
    at: c.sync_metadata.last_updated,
    system: c.sync_metadata.last_updated_by,
    origin,
    changed: changedFields(before, record),
    deleted: record.deleted_at != null,
    record,
    recordedAt,
  };
}

/**
 * A store's stored rows, oldest first, as a history: the changed fields are computed between
 * neighbours (a store that keeps only the records, as BigQuery's log does), identical
 * redelivered rows (same version and content) counted once. Newest first in the result.
 */
export function historyOf(rows: readonly { contact: CanonicalContact; origin: string | null; recordedAt: string }[]): ContactVersion[] {
  const out: ContactVersion[] = [];
  let before: ContactContent | undefined;
  let beforeKey: string | undefined;
  for (const r of rows) {
    const key = `${r.contact.sync_metadata.version}|${stableStringify(contactContent(r.contact))}`;
    if (key === beforeKey) continue;
    const v = versionOf(r.contact, before, r.origin, r.recordedAt);
    out.push(v);
    before = v.record;
    beforeKey = key;
  }
  return out.reverse();
}
