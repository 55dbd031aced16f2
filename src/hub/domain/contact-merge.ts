import { type CanonicalContact, type ContactFields, canonicalContact, type SystemName } from './canonical-contact.js';
import type { SystemContact } from './system-contact.js';
import { stableStringify } from './content-hash.js';
import { InvalidInputError } from '../../errors.js';
import { resolveConflict } from './conflict-resolver.js';
import { CONTACT_FIELD_KEYS, type ContactFieldKey, hashContact } from './contact-content.js';
import { isEmptyValue } from './contact-normalise.js';
import { type FieldOwnership, mayWrite } from './field-ownership.js';

export interface IncomingFields extends Partial<ContactFields> {
  /** undefined = the system says nothing about deletion; null = live; an instant = soft-deleted. */
  deleted_at?: string | null;
}

export interface MergeOptions {
  /** ISO instant written to sync_metadata.last_updated when content changes. */
  now: string;
  /** Required when there is no current record (a create). */
  contactId?: string;
  /** The new version is at least this (the incoming system's own version), so targets never see a regression. */
  minVersion?: number;
}

export interface MergeResult {
  contact: CanonicalContact;
  /** Content changed: version was bumped and the record must be stored and propagated. */
  changed: boolean;
  created: boolean;
  /** Fields whose value changed. */
  applied: ContactFieldKey[];
  /** Fields the system sent with a different value but may not change (owned by another system). */
  rejected: ContactFieldKey[];
}

const same = (a: unknown, b: unknown) => stableStringify(a ?? null) === stableStringify(b ?? null);

/**
 * Apply one system's fields to the canonical record under the ownership table. Exactly:
 *   1. a field absent from `incoming` (undefined) keeps its current value;
 *   2. with no current record (a create) every incoming field is taken — nobody has a value yet;
 *   3. a field no one owns, or owned by `fromSystem`, takes the incoming value;
 *   4. a field owned by another system keeps its current value (listed in `rejected`), except
 *      that an empty current value (null, blank, []) may be filled by anyone;
 *   5. `deleted_at`, when given, is taken from any system (soft delete and restore are never owned).
 * Only when the resulting content differs from the current content does the version go up
 * (to max(current + 1, minVersion)) and sync_metadata change to (now, fromSystem); otherwise
 * the current record is returned untouched with changed = false.
 * Throws InvalidInputError naming the field when the result is not a valid canonical contact.
 */
export function mergeIncoming(
  current: CanonicalContact | undefined,
  incoming: IncomingFields,
  fromSystem: SystemName,
  ownership: FieldOwnership,
  opts: MergeOptions,
): MergeResult {
  const applied: ContactFieldKey[] = [];
  const rejected: ContactFieldKey[] = [];
  const next: Record<string, unknown> = current ? { ...current } : {};
  for (const k of CONTACT_FIELD_KEYS) {
    const v = incoming[k];
    if (v === undefined) continue;
    if (current && same(v, current[k])) continue;
    if (!current || mayWrite(ownership, k, fromSystem) || isEmptyValue(current[k])) {
      next[k] = v;
      applied.push(k);
    } else {
      rejected.push(k);
    }
  }
  if (incoming.deleted_at !== undefined && !same(incoming.deleted_at, current?.deleted_at)) next.deleted_at = incoming.deleted_at;

  if (current && hashContact({ ...current, ...next } as CanonicalContact) === hashContact(current)) {
    return { contact: current, changed: false, created: false, applied: [], rejected };
  }
  const contactId = current?.contact_id ?? opts.contactId;
  if (!contactId) throw new InvalidInputError('contact_id: required to create a contact');
  next.contact_id = contactId;
  next.sync_metadata = {
    version: Math.max((current?.sync_metadata.version ?? 0) + 1, opts.minVersion ?? 1),
    last_updated: opts.now,
    last_updated_by: fromSystem,
  };
  const parsed = canonicalContact.safeParse(next);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`${issue.path.join('.') || 'contact'}: ${issue.message} (contact ${contactId}, from ${fromSystem})`);
  }
  return { contact: parsed.data, changed: true, created: !current, applied, rejected };
}

export type IncomingDecision =
  | { action: 'create' | 'update'; contact: CanonicalContact; applied: ContactFieldKey[]; rejected: ContactFieldKey[]; reason: string }
  /** Nothing to write: same content, or every differing field is owned by another system. */
  | { action: 'unchanged'; reason: 'same_content' | 'owned_elsewhere'; rejected: ContactFieldKey[] }
  /** The canonical record is newer: write it back to the incoming system to overwrite its copy. */
  | { action: 'stale'; reason: 'lower_version' | 'earlier_update' }
  /** Equal version and time, different content: record in sync_conflicts, write nothing. */
  | { action: 'conflict'; reason: 'conflict' };

/**
 * What to do with a change read from one system (webhook or listChanged), after echo
 * suppression: resolveConflict decides whether it beats the canonical record, then
 * mergeIncoming applies it field by field under the ownership table. Pure; the caller stores
 * `contact` with a compare-and-set on the current version and fans it out.
 */
export function decideIncoming(
  current: CanonicalContact | undefined,
  incoming: SystemContact,
  ownership: FieldOwnership,
  now: string,
): IncomingDecision {
  const fields: IncomingFields = { ...incoming.fields, deleted_at: incoming.deletedAt };
  if (!current) {
    if (!incoming.contactId) throw new InvalidInputError(`contactId: ${incoming.system} record ${incoming.externalId} has no Kith contact id (resolve it via contact_links or mint one)`);
    const m = mergeIncoming(undefined, fields, incoming.system, ownership, { now, contactId: incoming.contactId, minVersion: incoming.version });
    return { action: 'create', contact: m.contact, applied: m.applied, rejected: m.rejected, reason: 'new_contact' };
  }
  const r = resolveConflict(incoming, current);
  if (r.reason === 'same_content') return { action: 'unchanged', reason: 'same_content', rejected: [] };
  if (r.reason === 'conflict') return { action: 'conflict', reason: 'conflict' };
  if (r.winner === 'current') return { action: 'stale', reason: r.reason as 'lower_version' | 'earlier_update' };
  const m = mergeIncoming(current, fields, incoming.system, ownership, { now, minVersion: incoming.version });
  if (!m.changed) return { action: 'unchanged', reason: 'owned_elsewhere', rejected: m.rejected };
  return { action: 'update', contact: m.contact, applied: m.applied, rejected: m.rejected, reason: r.reason };
}

/**
 * Whether a record as a webhook carried it may be merged without reading the system back:
 * when there is no canonical record yet, or the carried copy beats the canonical one outright
 * (higher version, or later update), or holds the same content. A copy that would lose or
 * conflict may be a stale or reordered event, so the caller reads the system's current copy
 * instead — that read, not the event, decides. Pure.
 */
export function carriedRecordSuffices(current: CanonicalContact | undefined, carried: SystemContact): boolean {
  if (!current) return true;
  const r = resolveConflict(carried, current);
  return r.winner === 'incoming' || r.reason === 'same_content';
}
