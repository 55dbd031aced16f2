import type { CanonicalContact } from '../../hub/domain/canonical-contact.js';
import type { CanonicalPage, CanonicalStore, PutOutcome } from '../../hub/ports/canonical-store.js';
import type { Db, Queryable } from '../../db/db.js';
import { parseSeqCursor, rowToContact } from './contact-row.mapper.js';
import { withLocalErrors } from './local-errors.js';
import { readRows, rowsByEmail, rowsSince, writeContacts } from './contacts-table.js';

/**
 * The canonical store when BigQuery is not configured: the `contacts` table of Kith's own
 * database. Cursors are change sequence numbers (see migration 003), so paging never skips a
 * change committed late by a concurrent writer.
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

  async put(contact: CanonicalContact, expectedVersion?: number): Promise<PutOutcome> {
    return this.putWith(contact, expectedVersion, async () => undefined);
  }

  /** `put` and `also` in one transaction of this database (one commit instead of two). */
  async putWith(contact: CanonicalContact, expectedVersion: number | undefined, also: (q: Queryable) => Promise<void>): Promise<PutOutcome> {
    const expected = new Map(expectedVersion === undefined ? [] : [[contact.contact_id, expectedVersion]]);
    const [r] = await withLocalErrors(() =>
      this.db.tx(async (q) => {
        const out = await writeContacts(q, [contact], this.clock(), expected);
        await also(q);
        return out;
      }),
    );
    return r!;
  }

  putMany(contacts: readonly CanonicalContact[], expected: ReadonlyMap<string, number>): Promise<PutOutcome[]> {
    return this.putManyWith(contacts, expected, async () => undefined);
  }

  /** Many compare-and-set writes and `also` in one transaction: all or nothing. */
  async putManyWith(contacts: readonly CanonicalContact[], expected: ReadonlyMap<string, number>, also: (q: Queryable) => Promise<void>): Promise<PutOutcome[]> {
    return withLocalErrors(() =>
      this.db.tx(async (q) => {
        const out = await writeContacts(q, contacts, this.clock(), expected);
        await also(q);
        return out;
      }),
    );
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
