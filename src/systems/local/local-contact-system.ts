import type { CanonicalContact } from '../../hub/domain/canonical-contact.js';
import type { ChangePage, ContactRef, ContactSystem, SystemContact, UpsertOutcome } from '../../hub/ports/contact-system.js';
import { wholeView } from '../../hub/domain/link-hash.js';
import type { Db } from '../../db/db.js';
import { type IncomingFields, mergeIncoming } from '../../hub/domain/contact-merge.js';
import { NotFoundError } from '../../errors.js';
import { parseSeqCursor, rowToContact, rowToSystemContact } from './contact-row.mapper.js';
import { withLocalErrors } from './local-errors.js';
import { readRows, rowsSince, writeContacts } from './contacts-table.js';

/**
 * Kith's own database as one of the hub's contact systems (a propagation target when BigQuery
 * is canonical). Same `contacts` table as LocalCanonicalStore; its external id is the contact id.
 */
export class LocalContactSystem implements ContactSystem {
  readonly name = 'local' as const;
  readonly keepsVersion = true;

  /** Every canonical field, as is. */
  view(c: CanonicalContact) {
    return wholeView(c);
  }
  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(ref: { contactId?: string; externalId?: string }): Promise<SystemContact | undefined> {
    const id = ref.contactId ?? ref.externalId;
    if (!id) return undefined;
    const row = await withLocalErrors(async () => (await readRows(this.db, [id])).get(id));
    return row ? rowToSystemContact(row) : undefined;
  }

  async getCopies(refs: readonly ContactRef[]): Promise<Map<string, SystemContact>> {
    const rows = await withLocalErrors(() => readRows(this.db, [...new Set(refs.map((r) => r.contactId))]));
    return new Map([...rows].map(([id, row]) => [id, rowToSystemContact(row)]));
  }

  async listChanged(cursor: string | undefined, limit: number): Promise<ChangePage> {
    const after = parseSeqCursor(cursor);
    const rows = await withLocalErrors(() => rowsSince(this.db, after, limit));
    const last = rows.at(-1);
    return { contacts: rows.map(rowToSystemContact), cursor: last ? String(last.change_seq) : cursor, done: rows.length < limit };
  }

  /**
   * Idempotent upsert keyed by contact_id, one transaction: same version and content →
   * 'unchanged' (no write); a lower version than stored is skipped too (reported 'unchanged'),
   * so a late or repeated delivery never rolls the copy back.
   */
  async upsertMany(contacts: readonly CanonicalContact[]): Promise<UpsertOutcome[]> {
    if (!contacts.length) return [];
    const results = await withLocalErrors(() => this.db.tx((q) => writeContacts(q, contacts, this.clock())));
    return results.map((r) => ({ contactId: r.contactId, externalId: r.contactId, action: r.action === 'stale' ? 'unchanged' : r.action }));
  }

  /** Soft delete: sets deleted_at (kept when already deleted); version and sync metadata are the canonical record's business. */
  async softDelete(refs: readonly { contactId: string; externalId?: string }[], at: string): Promise<void> {
    if (!refs.length) return;
    await withLocalErrors(() => this.db.tx(async (q) => {
      const rows = await readRows(q, refs.map((r) => r.contactId));
      const changed = [...rows.values()].filter((r) => r.deleted_at == null).map((r) => ({ ...rowToContact(r), deleted_at: at }));
      if (changed.length) await writeContacts(q, changed, this.clock());
    }));
  }

  /**
   * An edit made in the local database by an application (the reverse path): fields change as
   * the local system is allowed to change them (no ownership limits here; the canonical merge
   * applies those), version + 1, last_updated_by 'local'. Returns the stored record.
   */
  async applyLocalEdit(contactId: string, fields: IncomingFields): Promise<CanonicalContact> {
    return withLocalErrors(() => this.db.tx(async (q) => {
      const row = (await readRows(q, [contactId])).get(contactId);
      if (!row) throw new NotFoundError(`contact ${contactId} is not in the local database`);
      const m = mergeIncoming(rowToContact(row), fields, 'local', {}, { now: new Date(this.clock()).toISOString() });
      if (m.changed) await writeContacts(q, [m.contact], this.clock());
      return m.contact;
    }));
  }
}
