import type { CanonicalContact, ContactFields } from './canonical-contact.js';
import type { SystemContact } from './system-contact.js';
import { CONTACT_FIELD_KEYS, type ContactFieldKey, hashSystemFields, projectFields } from './contact-content.js';

/** Either a canonical record or one system's copy of it. */
export type ContactRecord = CanonicalContact | SystemContact;

export type ResolutionReason =
  | 'higher_version'
  | 'lower_version'
  | 'later_update'
  | 'earlier_update'
  /** Same content (on the fields both hold): nothing to write, whatever the metadata says. */
  | 'same_content'
  /** Same version, same last_updated, different content: record it in sync_conflicts. */
  | 'conflict';

export interface Resolution {
  winner: 'incoming' | 'current' | null;
  reason: ResolutionReason;
}

interface RecordView {
  version: number | undefined;
  updatedMs: number;
  fields: Partial<ContactFields>;
  deletedAt: string | null;
}

function isCanonical(r: ContactRecord): r is CanonicalContact {
  return 'sync_metadata' in r;
}

function view(r: ContactRecord): RecordView {
  if (isCanonical(r)) {
    return { version: r.sync_metadata.version, updatedMs: Date.parse(r.sync_metadata.last_updated), fields: r, deletedAt: r.deleted_at };
  }
  return { version: r.version, updatedMs: Date.parse(r.updatedAt), fields: r.fields, deletedAt: r.deletedAt };
}

function heldKeys(r: ContactRecord): ContactFieldKey[] {
  if (isCanonical(r)) return [...CONTACT_FIELD_KEYS];
  return CONTACT_FIELD_KEYS.filter((k) => r.fields[k] !== undefined);
}

/** Content equality on the fields both records hold (a Twenty copy has no llm_context, say). */
export function sameContent(a: ContactRecord, b: ContactRecord): boolean {
  const bKeys = new Set(heldKeys(b));
  const keys = heldKeys(a).filter((k) => bKeys.has(k));
  const va = view(a);
  const vb = view(b);
  return hashSystemFields(projectFields(va.fields, keys), va.deletedAt) === hashSystemFields(projectFields(vb.fields, keys), vb.deletedAt);
}

/**
 * Last-write-wins with version control, in this order:
 *   1. same content on the shared fields → winner null, 'same_content' (a no-op: never write)
 *   2. higher `version` wins (a record without a version, e.g. a system that stores none,
 *      skips this step and is judged by time alone)
 *   3. equal versions → later `last_updated` wins (compared as instants, not strings)
 *   4. both equal, content differs → winner null, 'conflict' (the caller records it)
 */
export function resolveConflict(incoming: ContactRecord, current: ContactRecord): Resolution {
  if (sameContent(incoming, current)) return { winner: null, reason: 'same_content' };
  const i = view(incoming);
  const c = view(current);
  if (i.version !== undefined && c.version !== undefined && i.version !== c.version) {
    return i.version > c.version ? { winner: 'incoming', reason: 'higher_version' } : { winner: 'current', reason: 'lower_version' };
  }
  if (Number.isNaN(i.updatedMs) || Number.isNaN(c.updatedMs)) {
    // An unreadable timestamp cannot win by time: it is a conflict for a person to settle.
    return { winner: null, reason: 'conflict' };
  }
  if (i.updatedMs !== c.updatedMs) {
    return i.updatedMs > c.updatedMs ? { winner: 'incoming', reason: 'later_update' } : { winner: 'current', reason: 'earlier_update' };
  }
  return { winner: null, reason: 'conflict' };
}
