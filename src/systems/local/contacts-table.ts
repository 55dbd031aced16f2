import type { CanonicalContact } from '../../hub/domain/canonical-contact.js';
import { VersionConflictError } from '../../hub/ports/canonical-store.js';
import { placeholders, type Queryable } from '../../db/db.js';
import { normaliseEmail } from '../../hub/domain/contact-normalise.js';
import { CursorInvalidError } from '../../errors.js';
import { CONTACT_COLUMNS, type ContactRow, contactToParams, emailKeys, prepareContact, rowToContact } from './contact-row.mapper.js';
import { type ContactContent, contactContent } from '../../hub/domain/contact-content.js';
import { versionOf } from '../../hub/domain/contact-version.js';

/*
 * Statements over the `contacts` table shared by the local canonical store and the local
 * contact system. Callers run them inside one Db.tx.
 */

const CHUNK = 500;

export async function readRows(q: Queryable, ids: readonly string[]): Promise<Map<string, ContactRow>> {
  const out = new Map<string, ContactRow>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const part = ids.slice(i, i + CHUNK);
    const rows = await q.all<ContactRow>(`SELECT * FROM contacts WHERE contact_id IN (${part.map(() => '?').join(', ')})`, part);
    for (const r of rows) out.set(r.contact_id, r);
  }
  return out;
}

/**
 * Lock the change counter for this transaction and return its value. Every contact writer
 * takes this lock before reading, so on PostgreSQL (READ COMMITTED) writers are serialised
 * and change_seq order equals commit order; SQLite's BEGIN IMMEDIATE already serialises them.
 */
export async function lockSeq(q: Queryable): Promise<number> {
  const r = await q.get<{ n: number }>('UPDATE contact_seq SET n = n WHERE id = 1 RETURNING n');
  return Number(r!.n);
}

async function setSeq(q: Queryable, n: number): Promise<void> {
  await q.run('UPDATE contact_seq SET n = ? WHERE id = 1', [n]);
}

export interface WriteResult {
  contactId: string;
  action: 'created' | 'updated' | 'unchanged' | 'stale';
  version: number;
}

const ON_CONFLICT = `ON CONFLICT (contact_id) DO UPDATE SET ${CONTACT_COLUMNS.filter((c) => c !== 'contact_id')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}`;
/** Rows per multi-row statement: one round trip per chunk on PostgreSQL (22 × 200 parameters). */
const WRITE_CHUNK = 200;

async function upsertRows(q: Queryable, rows: readonly (string | number | null)[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
    const part = rows.slice(i, i + WRITE_CHUNK);
    await q.run(`INSERT INTO contacts (${CONTACT_COLUMNS.join(', ')}) VALUES ${placeholders(part.length, CONTACT_COLUMNS.length)} ${ON_CONFLICT}`, part.flat());
  }
}

/**
 * Write canonical records keyed by contact_id. Per record, against what is stored:
 *   `expected` has an entry → compare-and-set: stored version (0 when absent) must equal it;
 *   no row → created; same version and content hash → unchanged (no write);
 *   lower version than stored → stale (no write, so out-of-order deliveries never regress);
 *   otherwise updated. Written rows get fresh change_seq values in input order.
 * With `history` (the canonical store's writes), each written record also becomes a
 * contact_versions row under its change_seq, in the same transaction.
 */
export async function writeContacts(
  q: Queryable,
  contacts: readonly CanonicalContact[],
  now: number,
  expected: ReadonlyMap<string, number> = new Map(),
  history?: { origin: string | null },
): Promise<WriteResult[]> {
  const prepared = contacts.map(prepareContact);
  let seq = await lockSeq(q);
  const existing = await readRows(q, prepared.map((p) => p.contact.contact_id));
  // The addresses each row held before this batch: the email index is rewritten only where they change.
  const storedEmails = new Map([...existing].map(([id, row]) => [id, row.emails]));
  const results: WriteResult[] = [];
  // One row per contact id (the last write of a batch wins): a multi-row upsert may not touch a row twice.
  const writes = new Map<string, (string | number | null)[]>();
  const written = new Map<string, CanonicalContact>();
  const before = new Map<string, ContactContent>(history ? [...existing].map(([id, row]) => [id, contactContent(rowToContact(row))]) : []);
  const versions: (string | number | null)[][] = [];
  for (const { contact, hash } of prepared) {
    const id = contact.contact_id;
    const row = existing.get(id);
    const stored = row ? Number(row.version) : 0;
    const want = expected.get(id);
    if (want !== undefined && want !== stored) throw new VersionConflictError(id, want, stored);
    const version = contact.sync_metadata.version;
    let action: WriteResult['action'];
    if (!row) action = 'created';
    else if (stored === version && row.content_hash === hash) action = 'unchanged';
    else if (want === undefined && version < stored) action = 'stale';
    else action = 'updated';
    results.push({ contactId: id, action, version: action === 'stale' || action === 'unchanged' ? stored : version });
    if (action === 'created' || action === 'updated') {
      writes.delete(id);
      written.delete(id);
      writes.set(id, contactToParams(contact, hash, ++seq, now));
      written.set(id, contact);
      if (history) {
        const v = versionOf(contact, before.get(id), history.origin, new Date(now).toISOString());
        before.set(id, v.record);
        versions.push([id, seq, version, hash, JSON.stringify(v.record), JSON.stringify(v.changed), v.system, v.origin, Date.parse(v.at), now]);
      }
      // A batch naming one contact twice: the second sees the first as stored.
      existing.set(id, { ...(row ?? ({} as ContactRow)), contact_id: id, version, content_hash: hash });
    }
  }
  if (writes.size) {
    await upsertRows(q, [...writes.values()]);
    await setSeq(q, seq);
    await insertVersions(q, versions);
    await reindexEmails(q, [...written.values()].filter((c) => storedEmails.get(c.contact_id) !== JSON.stringify(c.emails)));
  }
  return results;
}

const VERSION_COLUMNS = 'contact_id, change_seq, version, content_hash, record, changed_fields, system, origin, changed_at, recorded_at';

/** History rows keyed by (contact, change_seq): a row already there is kept as it is. */
async function insertVersions(q: Queryable, rows: readonly (string | number | null)[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
    const part = rows.slice(i, i + WRITE_CHUNK);
    await q.run(`INSERT INTO contact_versions (${VERSION_COLUMNS}) VALUES ${placeholders(part.length, 10)} ON CONFLICT DO NOTHING`, part.flat());
  }
}

/** A contact's stored versions, newest first. */
export async function versionRows(q: Queryable, contactId: string, limit: number): Promise<VersionRow[]> {
  return q.all<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM contact_versions WHERE contact_id = ? ORDER BY change_seq DESC LIMIT ?`, [contactId, limit]);
}

export interface VersionRow {
  contact_id: string;
  change_seq: number;
  version: number;
  content_hash: string;
  record: string;
  changed_fields: string;
  system: string;
  origin: string | null;
  changed_at: number;
  recorded_at: number;
}

async function reindexEmails(q: Queryable, contacts: readonly CanonicalContact[]): Promise<void> {
  if (!contacts.length) return;
  for (let i = 0; i < contacts.length; i += CHUNK) {
    const ids = contacts.slice(i, i + CHUNK).map((c) => c.contact_id);
    await q.run(`DELETE FROM contact_emails WHERE contact_id IN (${ids.map(() => '?').join(', ')})`, ids);
  }
  const rows = contacts.flatMap((c) => emailKeys(c).map((e) => [e, c.contact_id]));
  for (let i = 0; i < rows.length; i += CHUNK) {
    const part = rows.slice(i, i + CHUNK);
    await q.run(`INSERT INTO contact_emails (email, contact_id) VALUES ${placeholders(part.length, 2)} ON CONFLICT DO NOTHING`, part.flat());
  }
}

/** Rows changed after `afterSeq`, oldest change first. A cursor beyond the counter means the database was replaced. */
export async function rowsSince(q: Queryable, afterSeq: number, limit: number): Promise<ContactRow[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer (got ${limit})`);
  if (afterSeq > 0) {
    const top = await q.get<{ n: number }>('SELECT n FROM contact_seq WHERE id = 1');
    if (afterSeq > Number(top?.n ?? 0)) {
      throw new CursorInvalidError(`cursor: ${afterSeq} is beyond the last local contact change (${top?.n ?? 0}); the database was reset, run a full resync`);
    }
  }
  return q.all<ContactRow>('SELECT * FROM contacts WHERE change_seq > ? ORDER BY change_seq LIMIT ?', [afterSeq, limit]);
}

export async function rowsByEmail(q: Queryable, email: string): Promise<ContactRow[]> {
  const key = normaliseEmail(email);
  if (!key) return [];
  return q.all<ContactRow>(
    'SELECT c.* FROM contact_emails e JOIN contacts c ON c.contact_id = e.contact_id WHERE e.email = ? ORDER BY c.contact_id',
    [key],
  );
}

/** Link a contact to the people graph's person (no foreign key: that table comes from another migration). */
export async function linkPerson(q: Queryable, contactId: string, personId: string | null): Promise<boolean> {
  return (await q.run('UPDATE contacts SET person_id = ? WHERE contact_id = ?', [personId, contactId])).changes > 0;
}

/** Local bookkeeping columns of one contact that the canonical record does not carry. */
export async function localContactMeta(q: Queryable, contactId: string): Promise<{ personId: string | null; contentHash: string; changeSeq: number } | undefined> {
  // A promoted person's contact written by the fan-out is linked by the next promotion; till then person_contacts tells.
  const r = await q.get<{ person_id: string | null; content_hash: string; change_seq: number }>(
    'SELECT COALESCE(c.person_id, pc.person_id) AS person_id, c.content_hash, c.change_seq FROM contacts c LEFT JOIN person_contacts pc ON pc.contact_id = c.contact_id WHERE c.contact_id = ?',
    [contactId],
  );
  return r && { personId: r.person_id, contentHash: r.content_hash, changeSeq: Number(r.change_seq) };
}
