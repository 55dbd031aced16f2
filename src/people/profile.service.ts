import type { Queryable } from '../db/db.js';
import { normaliseName } from '../domain/people/identity.js';
import { inList } from './sql-support.js';

/**
 * A person's `emails` and `phones` are the sorted union of their source entities' identifiers:
 * derived, so merge, split and relink only need to recompute them for the people involved.
 * Rows are written (and `updated_at` moved) only when something actually changed.
 */
export async function recomputeIdentifiers(q: Queryable, personIds: readonly string[], now = Date.now()): Promise<void> {
  const ids = [...new Set(personIds)];
  if (ids.length === 0) return;
  const ents = inList(q, 'person_id', ids);
  const rows = await q.all<{ person_id: string; emails: string; phones: string }>(
    `SELECT person_id, emails, phones FROM source_entities WHERE ${ents.sql}`,
    ents.params,
  );
  const acc = new Map<string, { emails: Set<string>; phones: Set<string> }>(ids.map((id) => [id, { emails: new Set(), phones: new Set() }]));
  for (const r of rows) {
    const a = acc.get(r.person_id)!;
    for (const e of JSON.parse(r.emails) as string[]) a.emails.add(e);
    for (const p of JSON.parse(r.phones) as string[]) a.phones.add(p);
  }
  const ppl = inList(q, 'id', ids);
  const current = await q.all<{ id: string; emails: string; phones: string }>(`SELECT id, emails, phones FROM people WHERE ${ppl.sql}`, ppl.params);
  for (const p of current) {
    const a = acc.get(p.id)!;
    const emails = JSON.stringify([...a.emails].sort());
    const phones = JSON.stringify([...a.phones].sort());
    if (emails !== p.emails || phones !== p.phones) {
      await q.run('UPDATE people SET emails = ?, phones = ?, updated_at = ? WHERE id = ?', [emails, phones, now, p.id]);
    }
  }
}

/** Set a person's name (and its exact-match key) when they have none yet, or always when `force`. */
export async function nameIfUnnamed(q: Queryable, personId: string, name: string | null | undefined, force = false, now = Date.now()): Promise<void> {
  const n = name?.trim();
  if (!n) return;
  const cond = force ? 'canonical_name <> ?' : "canonical_name = '' AND ? <> ''";
  await q.run(`UPDATE people SET canonical_name = ?, name_key = ?, updated_at = ? WHERE id = ? AND ${cond}`, [n, normaliseName(n), now, personId, n]);
}
