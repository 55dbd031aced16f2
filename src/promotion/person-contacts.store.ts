import { createHash } from 'node:crypto';
import type { Queryable } from '../db/db.js';
import { inList } from '../db/sql-lists.js';

/** One row of `person_contacts` (migration 020): a person promoted to a canonical contact. */
export interface PersonContactRow {
  person_id: string;
  contact_id: string;
  input_hash: string | null;
  content_hash: string | null;
  merged_into_contact: string | null;
  changed: number;
  promoted_at: number;
}

/**
 * The contact id of a person's contact: a UUID derived from the person id, so every promotion
 * of the same person names the same contact, whatever process runs it and however often.
 */
export function contactIdForPerson(personId: string): string {
  const h = createHash('sha256').update(`kith-person|${personId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function getPersonContacts(q: Queryable, personIds: readonly string[]): Promise<Map<string, PersonContactRow>> {
  const out = new Map<string, PersonContactRow>();
  for (let i = 0; i < personIds.length; i += 500) {
    const l = inList(q, 'person_id', personIds.slice(i, i + 500));
    for (const r of await q.all<PersonContactRow>(`SELECT * FROM person_contacts WHERE ${l.sql}`, l.params)) out.set(r.person_id, r);
  }
  return out;
}

export async function personContactByContact(q: Queryable, contactId: string): Promise<PersonContactRow | undefined> {
  return q.get<PersonContactRow>('SELECT * FROM person_contacts WHERE contact_id = ?', [contactId]);
}

/** Record what was written for a person (idempotent: the same row again changes nothing). */
export async function savePersonContact(q: Queryable, r: Omit<PersonContactRow, 'changed'>): Promise<void> {
  await savePersonContacts(q, [r]);
}

/** Rows per multi-row statement (6 parameters each). */
const WRITE_CHUNK = 500;

/** savePersonContact for many people in a few statements (a person named twice: the last row wins). */
export async function savePersonContacts(q: Queryable, rows: readonly Omit<PersonContactRow, 'changed'>[]): Promise<void> {
  const last = [...new Map(rows.map((r) => [r.person_id, r])).values()];
  for (let i = 0; i < last.length; i += WRITE_CHUNK) {
    const part = last.slice(i, i + WRITE_CHUNK);
    await q.run(
      `INSERT INTO person_contacts (person_id, contact_id, input_hash, content_hash, merged_into_contact, changed, promoted_at)
       VALUES ${part.map(() => '(?, ?, ?, ?, ?, 0, ?)').join(', ')}
       ON CONFLICT (person_id) DO UPDATE SET input_hash = excluded.input_hash, content_hash = excluded.content_hash,
         merged_into_contact = excluded.merged_into_contact, changed = 0, promoted_at = excluded.promoted_at`,
      part.flatMap((r) => [r.person_id, r.contact_id, r.input_hash, r.content_hash, r.merged_into_contact, r.promoted_at]),
    );
  }
}

/**
 * A merge, split or unmerge touched these people: their contacts are looked at again by the next
 * promotion. Called inside the people service's own transaction; writes only to this database.
 */
export async function markPeopleChanged(q: Queryable, personIds: readonly string[]): Promise<void> {
  if (!personIds.length) return;
  const l = inList(q, 'person_id', [...new Set(personIds)]);
  await q.run(`UPDATE person_contacts SET changed = 1 WHERE ${l.sql}`, l.params);
}

/** Promoted people merged away since their contact was last written (their contact still live). */
export async function newlyMerged(q: Queryable): Promise<{ person_id: string; contact_id: string; merged_into: string }[]> {
  return q.all(
    `SELECT pc.person_id, pc.contact_id, p.merged_into FROM person_contacts pc JOIN people p ON p.id = pc.person_id
     WHERE p.merged_into IS NOT NULL AND pc.merged_into_contact IS NULL ORDER BY pc.person_id`,
  );
}

/** Promoted people whose contact was soft-deleted by a merge that has since been undone. */
export async function newlyUnmerged(q: Queryable): Promise<PersonContactRow[]> {
  return q.all<PersonContactRow>(
    `SELECT pc.* FROM person_contacts pc JOIN people p ON p.id = pc.person_id
     WHERE p.merged_into IS NULL AND pc.merged_into_contact IS NOT NULL ORDER BY pc.person_id`,
  );
}

/** The local contacts table learns which person each promoted contact is (kept on later upserts). */
export async function linkLocalContacts(q: Queryable): Promise<number> {
  const r = await q.run(
    `UPDATE contacts SET person_id = (SELECT pc.person_id FROM person_contacts pc WHERE pc.contact_id = contacts.contact_id)
     WHERE person_id IS NULL AND contact_id IN (SELECT contact_id FROM person_contacts)`,
  );
  return r.changes;
}
