import { type CanonicalContact, type ContactFields, canonicalContact, contactFields } from '../../hub/domain/canonical-contact.js';
import type { SystemContact } from '../../hub/ports/contact-system.js';
import { contentHash, stableStringify } from '../../hub/domain/content-hash.js';
import { InvalidInputError } from '../../errors.js';

/** One row of contact_versions as the adapter writes it (insertAll JSON). */
export interface ContactVersionRow {
  contact_id: string;
  version: number;
  content_hash: string;
  /** JSON text of the canonical fields. */
  payload: string;
  last_updated: string;
  last_updated_by: string;
  deleted_at: string | null;
  written_at: string;
  insert_id: string;
}

/** One row as the adapter's queries return it (timestamps selected as epoch integers). */
export interface ContactVersionRead {
  contact_id: string;
  version: number;
  content_hash: string;
  payload: string;
  last_updated_ms: number;
  last_updated_by: string;
  deleted_at_ms: number | null;
  written_us: number;
}

const FIELD_KEYS = Object.keys(contactFields.shape) as (keyof ContactFields)[];

/** ISO instants normalised to one spelling, so equal instants hash equal whatever their source. */
export function normaliseInstant(v: string): string {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidInputError(`'${v}' is not an ISO-8601 instant`);
  return new Date(ms).toISOString();
}

export function pickFields(c: CanonicalContact): ContactFields {
  const out: Record<string, unknown> = {};
  for (const k of FIELD_KEYS) out[k] = c[k];
  return out as ContactFields;
}

/** The content hash stored with each version: fields plus the soft-delete time. */
export function versionHash(c: CanonicalContact): string {
  return contentHash({ ...pickFields(c), deleted_at: c.deleted_at === null ? null : normaliseInstant(c.deleted_at) });
}

/** Deterministic insertId: a retried insert of the same version dedupes in BigQuery (best effort). */
export function insertIdFor(contactId: string, version: number, hash: string): string {
  return `${contactId}:${version}:${hash}`;
}

export function toRow(c: CanonicalContact, writtenAt: Date): ContactVersionRow {
  const hash = versionHash(c);
  return {
    contact_id: c.contact_id,
    version: c.sync_metadata.version,
    content_hash: hash,
    payload: stableStringify(pickFields(c)),
    last_updated: normaliseInstant(c.sync_metadata.last_updated),
    last_updated_by: c.sync_metadata.last_updated_by,
    deleted_at: c.deleted_at === null ? null : normaliseInstant(c.deleted_at),
    written_at: writtenAt.toISOString(),
    insert_id: insertIdFor(c.contact_id, c.sync_metadata.version, hash),
  };
}

function instant(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

/** A stored row back to the canonical contact; a row that fails the model names contact and field. */
export function fromRow(row: ContactVersionRead): CanonicalContact {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    throw new InvalidInputError(`BigQuery contact ${row.contact_id} version ${row.version}: payload is not valid JSON`);
  }
  const parsed = canonicalContact.safeParse({
    ...(payload as object),
    contact_id: row.contact_id,
    sync_metadata: { version: row.version, last_updated: instant(row.last_updated_ms), last_updated_by: row.last_updated_by },
    deleted_at: instant(row.deleted_at_ms),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`BigQuery contact ${row.contact_id} version ${row.version}: field '${issue.path.join('.')}' ${issue.message}`);
  }
  return parsed.data;
}

export function toSystemContact(c: CanonicalContact): SystemContact {
  return {
    system: 'bigquery',
    externalId: c.contact_id,
    contactId: c.contact_id,
    fields: pickFields(c),
    version: c.sync_metadata.version,
    updatedAt: c.sync_metadata.last_updated,
    updatedBy: c.sync_metadata.last_updated_by,
    deletedAt: c.deleted_at,
  };
}
