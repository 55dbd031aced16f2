import { type CanonicalContact, canonicalContact, type SystemName } from '../../hub/domain/canonical-contact.js';
import type { SystemContact } from '../../hub/ports/contact-system.js';
import { contactContent, hashContact } from '../../hub/domain/contact-content.js';
import { normaliseEmail } from '../../hub/domain/contact-normalise.js';
import { CursorInvalidError, InvalidInputError } from '../../errors.js';

/** A `contacts` row as both engines return it (BIGINT as number, JSON as TEXT). */
export interface ContactRow {
  contact_id: string;
  canonical_name: string;
  first_name: string | null;
  last_name: string | null;
  emails: string;
  phones: string;
  company: string | null;
  job_title: string | null;
  category_code: string | null;
  subcategory_code: string | null;
  notes: string | null;
  llm_context: string | null;
  linkedin_url: string | null;
  tags: string;
  last_contacted: string | null;
  version: number;
  last_updated: number;
  last_updated_by: string;
  content_hash: string;
  deleted_at: number | null;
  person_id: string | null;
  change_seq: number;
  updated_at: number;
}

/** Column order for inserts (everything but person_id, which is kept on update). */
export const CONTACT_COLUMNS = [
  'contact_id', 'canonical_name', 'first_name', 'last_name', 'emails', 'phones', 'company', 'job_title',
  'category_code', 'subcategory_code', 'notes', 'llm_context', 'version', 'last_updated', 'last_updated_by',
  'content_hash', 'deleted_at', 'change_seq', 'updated_at', 'linkedin_url', 'tags', 'last_contacted',
] as const;

const iso = (ms: number) => new Date(Number(ms)).toISOString();

/**
 * Validate and bring instants to one form (millisecond ISO, as stored), so the hash of what
 * was written equals the hash of what is read back. Throws InvalidInputError naming the field.
 */
export function prepareContact(input: CanonicalContact): { contact: CanonicalContact; hash: string } {
  const parsed = canonicalContact.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const id = (input as { contact_id?: unknown })?.contact_id;
    throw new InvalidInputError(`${issue.path.join('.') || 'contact'}: ${issue.message} (contact ${String(id)})`);
  }
  const c = parsed.data;
  const contact: CanonicalContact = {
    ...c,
    deleted_at: c.deleted_at == null ? null : iso(Date.parse(c.deleted_at)),
    sync_metadata: { ...c.sync_metadata, last_updated: iso(Date.parse(c.sync_metadata.last_updated)) },
  };
  return { contact, hash: hashContact(contact) };
}

export function contactToParams(c: CanonicalContact, hash: string, seq: number, now: number): (string | number | null)[] {
  return [
    c.contact_id, c.canonical_name, c.first_name, c.last_name, JSON.stringify(c.emails), JSON.stringify(c.phones),
    c.company, c.job_title, c.category_code, c.subcategory_code, c.notes,
    c.llm_context == null ? null : JSON.stringify(c.llm_context),
    c.sync_metadata.version, Date.parse(c.sync_metadata.last_updated), c.sync_metadata.last_updated_by,
    hash, c.deleted_at == null ? null : Date.parse(c.deleted_at), seq, now,
    c.linkedin_url ?? null, JSON.stringify(c.tags ?? []), c.last_contacted ?? null,
  ];
}

export function rowToContact(r: ContactRow): CanonicalContact {
  return {
    ...contactContent({
      canonical_name: r.canonical_name,
      first_name: r.first_name,
      last_name: r.last_name,
      emails: JSON.parse(r.emails) as string[],
      phones: JSON.parse(r.phones) as string[],
      company: r.company,
      job_title: r.job_title,
      category_code: r.category_code as CanonicalContact['category_code'],
      subcategory_code: r.subcategory_code,
      notes: r.notes,
      llm_context: r.llm_context == null ? null : (JSON.parse(r.llm_context) as CanonicalContact['llm_context']),
      linkedin_url: r.linkedin_url,
      tags: r.tags ? (JSON.parse(r.tags) as string[]) : [],
      last_contacted: r.last_contacted,
      deleted_at: r.deleted_at == null ? null : iso(r.deleted_at),
    }),
    contact_id: r.contact_id,
    sync_metadata: { version: Number(r.version), last_updated: iso(r.last_updated), last_updated_by: r.last_updated_by as SystemName },
  };
}

/** The local database seen as one contact system: its external id is the contact id. */
export function rowToSystemContact(r: ContactRow): SystemContact {
  const c = rowToContact(r);
  const { contact_id, sync_metadata, deleted_at, ...fields } = c;
  return {
    system: 'local',
    externalId: contact_id,
    contactId: contact_id,
    fields,
    version: sync_metadata.version,
    updatedAt: sync_metadata.last_updated,
    updatedBy: sync_metadata.last_updated_by,
    deletedAt: deleted_at,
  };
}

/** Normalised addresses for the contact_emails index. */
export function emailKeys(c: CanonicalContact): string[] {
  return [...new Set(c.emails.map((e) => normaliseEmail(e)).filter((e): e is string => !!e))];
}

/** listChanged / listSince cursor: the last change_seq handed out. */
export function parseSeqCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  if (!/^\d{1,15}$/.test(cursor)) throw new CursorInvalidError(`cursor: '${cursor}' is not a local contacts cursor (a change sequence number)`);
  return Number(cursor);
}
