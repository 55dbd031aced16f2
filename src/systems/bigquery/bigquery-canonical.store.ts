import type { CanonicalContact } from '../../hub/domain/canonical-contact.js';
import { type CanonicalPage, type CanonicalStore, type ContactVersion, type PutOutcome, VersionConflictError } from '../../hub/ports/canonical-store.js';
import type { SystemContact } from '../../hub/ports/contact-system.js';
import { normaliseEmail } from '../../hub/domain/contact-normalise.js';
import type { BigQueryContactSystem } from './bigquery-contact-system.js';

/** A BigQuery copy carries every canonical field: rebuild the record from it. */
function toCanonical(s: SystemContact): CanonicalContact {
  return {
    ...(s.fields as CanonicalContact),
    contact_id: s.contactId ?? s.externalId,
    deleted_at: s.deletedAt,
    sync_metadata: { version: s.version ?? 1, last_updated: s.updatedAt, last_updated_by: s.updatedBy ?? 'bigquery' },
  };
}

/**
 * The canonical store when BIGQUERY_PROJECT_ID is set, over the append-only contact_versions
 * log. BigQuery has no row locks, so the compare-and-set here is read-check-append: the hub
 * serialises writers per contact with a Redis lock (src/hub/stores/contact-lock.store.ts) around it, and the log
 * keeps the highest version anyway, so a lost race can never regress a contact.
 */
export class BigQueryCanonicalStore implements CanonicalStore {
  readonly system = 'bigquery' as const;
  constructor(readonly bq: BigQueryContactSystem) {}

  get(contactId: string): Promise<CanonicalContact | undefined> {
    return this.bq.getCanonical(contactId);
  }

  getMany(ids: readonly string[]): Promise<Map<string, CanonicalContact>> {
    return this.bq.getMany(ids);
  }

  async put(contact: CanonicalContact, expectedVersion?: number): Promise<PutOutcome> {
    const prior = await this.bq.getCanonical(contact.contact_id);
    const stored = prior?.sync_metadata.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== stored) throw new VersionConflictError(contact.contact_id, expectedVersion, stored);
    if (expectedVersion === undefined && contact.sync_metadata.version < stored) return { contactId: contact.contact_id, action: 'stale', version: stored };
    const [r] = await this.bq.upsertMany([contact]);
    const action = r!.action;
    return { contactId: contact.contact_id, action, version: action === 'unchanged' ? stored : contact.sync_metadata.version };
  }

  /**
   * Read-check-append for many records: every expected version is checked against one read of
   * the log before anything is appended (the hub holds the contacts' locks around it).
   */
  async putMany(contacts: readonly CanonicalContact[], expected: ReadonlyMap<string, number>): Promise<PutOutcome[]> {
    const prior = await this.bq.getMany(contacts.map((c) => c.contact_id));
    const stored = (c: CanonicalContact) => prior.get(c.contact_id)?.sync_metadata.version ?? 0;
    for (const c of contacts) {
      const want = expected.get(c.contact_id);
      if (want !== undefined && want !== stored(c)) throw new VersionConflictError(c.contact_id, want, stored(c));
    }
    const fresh = contacts.filter((c) => expected.has(c.contact_id) || c.sync_metadata.version >= stored(c));
    const written = new Map((await this.bq.upsertMany(fresh)).map((r) => [r.contactId, r.action]));
    return contacts.map((c) => {
      const action = written.get(c.contact_id);
      if (!action) return { contactId: c.contact_id, action: 'stale', version: stored(c) };
      return { contactId: c.contact_id, action, version: action === 'unchanged' ? stored(c) : c.sync_metadata.version };
    });
  }

  /** The contact's rows of contact_versions: every version appended, with the fields each changed. */
  history(contactId: string, limit = 200): Promise<ContactVersion[]> {
    return this.bq.history(contactId, limit);
  }

  async listSince(cursor: string | undefined, limit: number): Promise<CanonicalPage> {
    const page = await this.bq.listChanged(cursor, limit);
    return { contacts: page.contacts.map(toCanonical), cursor: page.cursor, done: page.done };
  }

  /** A full read (the CLI's lookups only; never on the hot path). */
  async findByEmail(email: string): Promise<CanonicalContact[]> {
    const key = normaliseEmail(email);
    if (!key) return [];
    const all = await this.bq.latestAll({ includeDeleted: true });
    return all.filter((c) => c.emails.some((e) => normaliseEmail(e) === key)).sort((a, b) => (a.contact_id < b.contact_id ? -1 : 1));
  }
}
