import type { CanonicalContact, SystemName } from '../../hub/domain/canonical-contact.js';
import type { CanonicalPage, CanonicalStore, ContactVersion, PutOptions, PutOutcome } from '../../hub/ports/canonical-store.js';
import type { ContactContent } from '../../hub/domain/contact-content.js';
import type { Db, Queryable } from '../../db/db.js';
import { parseSeqCursor, rowToContact } from './contact-row.mapper.js';
import { withLocalErrors } from './local-errors.js';
import { readRows, rowsByEmail, rowsSince, versionRows, writeContacts } from './contacts-table.js';

/**
 * The canonical store when BigQuery is not configured: the `contacts` table of Kith's own
 * database. Cursors are change sequence numbers (see migration 003), so paging never skips a
 * change committed late by a concurrent writer. Every version written is kept in
 * contact_versions (migration 023) by the same transaction.
 */
export class LocalCanonicalStore implements CanonicalStore {
  readonly system = 'local' as const;
  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(contactId: string): Promise<CanonicalContact | undefined> {
    const row = await withLocalErrors(async () => (await readRows(this.db, [contactId])).get(contactId));
    return row ? rowToContact(row) : undefined;
  }

  /** Many records in one query per 500 ids (batch pushes read a whole page at once). */
  async getMany(contactIds: readonly string[]): Promise<Map<string, CanonicalContact>> {
    const rows = await withLocalErrors(() => readRows(this.db, [...new Set(contactIds)]));
    return new Map([...rows].map(([id, row]) => [id, rowToContact(row)]));
  }

  async put(contact: CanonicalContact, expectedVersion?: number, opts: PutOptions = {}): Promise<PutOutcome> {
    return this.putWith(contact, expectedVersion, async () => undefined, opts);
  }

  /** `put` and `also` in one transaction of this database (one commit instead of two). */
  async putWith(contact: CanonicalContact, expectedVersion: number | undefined, also: (q: Queryable) => Promise<void>, opts: PutOptions = {}): Promise<PutOutcome> {
    const expected = new Map(expectedVersion === undefined ? [] : [[contact.contact_id, expectedVersion]]);
    const [r] = await withLocalErrors(() =>
      this.db.tx(async (q) => {
        const out = await writeContacts(q, [contact], this.clock(), expected, { origin: opts.origin ?? null });
        await also(q);
        return out;
      }),
    );
    return r!;
  }

  putMany(contacts: readonly CanonicalContact[], expected: ReadonlyMap<string, number>, opts: PutOptions = {}): Promise<PutOutcome[]> {
    return this.putManyWith(contacts, expected, async () => undefined, opts);
  }

  /** Many compare-and-set writes and `also` in one transaction: all or nothing; each version written is kept in the history, as `putWith` keeps it. */
  async putManyWith(contacts: readonly CanonicalContact[], expected: ReadonlyMap<string, number>, also: (q: Queryable) => Promise<void>, opts: PutOptions = {}): Promise<PutOutcome[]> {
    return withLocalErrors(() =>
      this.db.tx(async (q) => {
        const out = await writeContacts(q, contacts, this.clock(), expected, { origin: opts.origin ?? null });
        await also(q);
        return out;
      }),
    );
  }

  async history(contactId: string, limit = 200): Promise<ContactVersion[]> {
    const rows = await withLocalErrors(() => versionRows(this.db, contactId, limit));
    return rows.map((r) => {
      const record = JSON.parse(r.record) as ContactContent;
      return {
        contactId: r.contact_id,
        version: Number(r.version),
        at: new Date(Number(r.changed_at)).toISOString(),
        system: r.system as SystemName,
        origin: r.origin,
        changed: JSON.parse(r.changed_fields) as string[],
        deleted: record.deleted_at != null,
        record,
        recordedAt: new Date(Number(r.recorded_at)).toISOString(),
      };
    });
  }

  async listSince(cursor: string | undefined, limit: number): Promise<CanonicalPage> {
    const after = parseSeqCursor(cursor);
    const rows = await withLocalErrors(() => rowsSince(this.db, after, limit));
    const last = rows.at(-1);
    return { contacts: rows.map(rowToContact), cursor: last ? String(last.change_seq) : cursor, done: rows.length < limit };
  }

  async findByEmail(email: string): Promise<CanonicalContact[]> {
    return (await withLocalErrors(() => rowsByEmail(this.db, email))).map(rowToContact);
  }
}
