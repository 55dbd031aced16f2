import type { Queryable } from '../db/db.js';
import { inList } from '../db/sql-lists.js';

/** Engine-specific fragments of the people services; the list helpers live with the database. */
export { inList, pgArray } from '../db/sql-lists.js';

export interface LockedPerson {
  id: string;
  merged_into: string | null;
}

/**
 * Lock people rows for the rest of the transaction, in id order (PostgreSQL: FOR UPDATE, so
 * every writer of a person's counts queues behind the other and a recomputation that follows
 * sees everything committed before it). SQLite transactions already hold the write lock.
 * Returns the rows that exist.
 */
export async function lockPeople(q: Queryable, ids: readonly string[]): Promise<LockedPerson[]> {
  if (ids.length === 0) return [];
  // The lock order is the statement's ORDER BY, not the list's.
  const { sql, params } = inList(q, 'id', [...new Set(ids)]);
  const lock = q.engine === 'postgres' ? ' ORDER BY id FOR UPDATE' : '';
  return q.all<LockedPerson>(`SELECT id, merged_into FROM people WHERE ${sql}${lock}`, params);
}

/**
 * Map ids to live people, following `merged_into` chains (a person merged away keeps
 * resolving to whoever absorbed them). Locks every row it visits. Unknown ids are absent.
 */
export async function resolveLivePeople(q: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const next = new Map<string, string | null>();
  let pending = unique;
  for (let hop = 0; pending.length > 0 && hop < 64; hop++) {
    for (const r of await lockPeople(q, pending)) next.set(r.id, r.merged_into);
    pending = [...new Set([...next.values()].filter((t): t is string => !!t && !next.has(t)))];
  }
  const out = new Map<string, string>();
  for (const id of unique) {
    let cur: string | null | undefined = id;
    for (let hop = 0; cur && next.get(cur) && hop < 64; hop++) cur = next.get(cur);
    if (cur && next.has(cur) && !next.get(cur)) out.set(id, cur);
  }
  return out;
}

export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replace(/-/g, '')}`;
}
