import type { Db, Queryable } from '../db/db.js';
import { normaliseName } from '../domain/people/identity.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { type AuditRow, writeAudit } from './audit.js';
import { recomputeIdentifiers } from './profile.service.js';
import { inList, lockPeople } from './sql-support.js';
import { refreshPeopleStatsIn } from './stats.service.js';
import { markPeopleChanged } from '../promotion/person-contacts.store.js';

/**
 * Merge moves every interaction and source entity of `others` to `keep`, recomputes the
 * counts of everyone involved and leaves the others as tombstones (`merged_into = keep`), all
 * in one transaction with one audit row holding the exact prior state: the people rows as they
 * were, and which interaction ids and entities moved from whom. Unmerge replays that backwards.
 */
const PROFILE_COLS = ['canonical_name', 'name_key', 'emails', 'phones', 'company', 'job_title', 'category_code', 'strength', 'strength_at', 'merged_into', 'created_at', 'updated_at'] as const;
type PersonRow = Record<(typeof PROFILE_COLS)[number] | 'id', unknown>;

interface MergeDetails {
  keep: string;
  others: string[];
  before: PersonRow[];
  interactions: Record<string, number[]>;
  entities: Record<string, [string, string][]>;
}

export interface MergeResult {
  auditId: string;
  keep: string;
  merged: string[];
  movedInteractions: number;
  movedEntities: number;
}

export function mergePeople(db: Db, keep: string, others: readonly string[]): Promise<MergeResult> {
  return db.tx((q) => mergePeopleIn(q, keep, others));
}

export async function mergePeopleIn(q: Queryable, keep: string, others: readonly string[], now = Date.now()): Promise<MergeResult> {
  const rest = [...new Set(others)];
  if (rest.length === 0) throw new InvalidInputError('merge: give at least one person to merge into the kept one');
  if (rest.includes(keep)) throw new InvalidInputError(`merge: ${keep} cannot be merged into itself`);
  const all = [keep, ...rest];
  const locked = new Map((await lockPeople(q, all)).map((r) => [r.id, r.merged_into]));
  for (const id of all) {
    if (!locked.has(id)) throw new NotFoundError(`merge: person ${id} not found`);
    const into = locked.get(id);
    if (into) throw new InvalidInputError(`merge: person ${id} was already merged into ${into}`);
  }
  const before = await snapshot(q, all);
  const details: MergeDetails = { keep, others: rest, before, interactions: {}, entities: {} };
  const l = inList(q, 'person_id', rest);
  // Rows of `others` are locked, so nobody adds or removes their interactions meanwhile.
  const owned = await q.all<{ id: number; person_id: string }>(`SELECT id, person_id FROM interactions WHERE ${l.sql} ORDER BY id`, l.params);
  const ents = await q.all<{ source: string; external_id: string; person_id: string }>(
    `SELECT source, external_id, person_id FROM source_entities WHERE ${l.sql} ORDER BY source, external_id`,
    l.params,
  );
  for (const id of rest) {
    details.interactions[id] = owned.filter((r) => r.person_id === id).map((r) => Number(r.id));
    details.entities[id] = ents.filter((e) => e.person_id === id).map((e) => [e.source, e.external_id]);
  }
  await q.run(`UPDATE interactions SET person_id = ? WHERE ${l.sql}`, [keep, ...l.params]);
  await q.run(`UPDATE source_entities SET person_id = ? WHERE ${l.sql}`, [keep, ...l.params]);

  // Fill what the kept person lacks from the merged ones, in the order given.
  for (const col of ['canonical_name', 'company', 'job_title', 'category_code'] as const) {
    const k = before.find((r) => r.id === keep)![col];
    if (k !== null && k !== '') continue;
    const v = rest.map((id) => before.find((r) => r.id === id)![col]).find((x) => x !== null && x !== '');
    if (v !== undefined) await q.run(`UPDATE people SET ${col} = ?, updated_at = ? WHERE id = ?`, [v as string, now, keep]);
  }
  const name = await q.get<{ canonical_name: string; name_key: string }>('SELECT canonical_name, name_key FROM people WHERE id = ?', [keep]);
  if (name && normaliseName(name.canonical_name) !== name.name_key) {
    await q.run('UPDATE people SET name_key = ? WHERE id = ?', [normaliseName(name.canonical_name), keep]);
  }
  const o = inList(q, 'id', rest);
  await q.run(`UPDATE people SET merged_into = ?, updated_at = ? WHERE ${o.sql}`, [keep, now, ...o.params]);
  await refreshPeopleStatsIn(q, all);
  await recomputeIdentifiers(q, all, now);
  // Their contacts follow at the next promotion (no network here, inside the transaction).
  await markPeopleChanged(q, all);
  const auditId = await writeAudit(q, 'merge', `merged ${rest.join(', ')} into ${keep}`, details, now);
  return { auditId, keep, merged: rest, movedInteractions: owned.length, movedEntities: ents.length };
}

async function snapshot(q: Queryable, ids: string[]): Promise<PersonRow[]> {
  const l = inList(q, 'id', ids);
  const rows = await q.all<PersonRow>(`SELECT id, ${PROFILE_COLS.join(', ')} FROM people WHERE ${l.sql}`, l.params);
  return ids.map((id) => rows.find((r) => r.id === id)!);
}

export interface UnmergeResult {
  auditId: string;
  restored: string[];
  movedInteractions: number;
  movedEntities: number;
}

/**
 * Undo a merge: the merged people come back with their ids and profile fields as they were,
 * with the interactions and entities that moved from them (interactions ingested for the kept
 * person since then stay with it), and everyone's counts recomputed.
 */
export function unmerge(db: Db, auditId: string): Promise<UnmergeResult> {
  return db.tx(async (q) => {
    const a = await q.get<AuditRow>('SELECT * FROM people_audit WHERE id = ?', [auditId]);
    if (!a) throw new NotFoundError(`unmerge: audit entry ${auditId} not found`);
    if (a.kind !== 'merge') throw new InvalidInputError(`unmerge: audit entry ${auditId} is a ${a.kind}, not a merge`);
    if (a.undone_by) throw new InvalidInputError(`unmerge: merge ${auditId} was already undone by ${a.undone_by}`);
    const d = JSON.parse(a.details) as MergeDetails;
    const all = [d.keep, ...d.others];
    const locked = new Map((await lockPeople(q, all)).map((r) => [r.id, r.merged_into]));
    if (locked.get(d.keep)) throw new InvalidInputError(`unmerge: ${d.keep} has since been merged into ${locked.get(d.keep)}; undo that merge first`);
    for (const id of d.others) {
      if (locked.get(id) !== d.keep) throw new InvalidInputError(`unmerge: ${id} is no longer merged into ${d.keep}`);
    }
    let movedInteractions = 0;
    let movedEntities = 0;
    for (const id of d.others) {
      const ids = d.interactions[id] ?? [];
      if (ids.length) {
        const l = inList(q, 'id', ids, 'bigint');
        movedInteractions += (await q.run(`UPDATE interactions SET person_id = ? WHERE person_id = ? AND ${l.sql}`, [id, d.keep, ...l.params])).changes;
      }
      const ents = d.entities[id] ?? [];
      if (ents.length) {
        movedEntities += (
          await q.runMany('UPDATE source_entities SET person_id = ? WHERE source = ? AND external_id = ? AND person_id = ?', ents.map(([s, x]) => [id, s, x, d.keep]))
        ).changes;
      }
    }
    const sets = PROFILE_COLS.map((c) => `${c} = ?`).join(', ');
    await q.runMany(`UPDATE people SET ${sets} WHERE id = ?`, d.before.map((r) => [...PROFILE_COLS.map((c) => r[c] as string | number | null), r.id as string]));
    await refreshPeopleStatsIn(q, all);
    await recomputeIdentifiers(q, all);
    await markPeopleChanged(q, all);
    const id = await writeAudit(q, 'unmerge', `restored ${d.others.join(', ')} from ${d.keep}`, { of: auditId, keep: d.keep, restored: d.others });
    await q.run('UPDATE people_audit SET undone_by = ? WHERE id = ?', [id, auditId]);
    return { auditId: id, restored: d.others, movedInteractions, movedEntities };
  });
}
