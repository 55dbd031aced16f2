import type { Queryable, SqlValue } from '../db/db.js';
import { COUNT_FIELDS, type PersonStats } from '../domain/people/source-mapping.js';
import { pgArray } from './sql-support.js';

/**
 * Writes of the cached stats columns of `people`, in one statement per batch whatever its size:
 *   addStats  `count = count + delta` (ingest; correct under concurrency, the rows are locked)
 *   setStats  overwrite with a recomputation (refresh, merge, split, delete)
 * SQLite runs one prepared UPDATE per person (better-sqlite3 binds faster than it parses a
 * long statement); PostgreSQL updates from unnest() arrays in one round trip.
 * Rows are written in id order, so concurrent batches lock people in the same order.
 */
export type StatsEntries = ReadonlyMap<string, PersonStats>;

const FIRST = 'CASE WHEN first_interaction_at IS NULL OR first_interaction_at > ? THEN ? ELSE first_interaction_at END';
const LAST = 'CASE WHEN last_interaction_at IS NULL OR last_interaction_at < ? THEN ? ELSE last_interaction_at END';
const PG_ARRAYS = `unnest(CAST(? AS text[]), ${COUNT_FIELDS.map(() => 'CAST(? AS int[])').join(', ')}, CAST(? AS int[]), CAST(? AS bigint[]), CAST(? AS bigint[]))
       AS v(id, ${COUNT_FIELDS.join(', ')}, source_mask, f, l)`;

function sortedEntries(stats: StatsEntries): [string, PersonStats][] {
  return [...stats.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function pgParams(entries: [string, PersonStats][]): SqlValue[] {
  return [
    entries.map(([id]) => id),
    ...COUNT_FIELDS.map((f) => entries.map(([, s]) => s[f])),
    entries.map(([, s]) => s.source_mask),
    entries.map(([, s]) => s.first_interaction_at),
    entries.map(([, s]) => s.last_interaction_at),
  ].map(pgArray);
}

export async function addStats(q: Queryable, deltas: StatsEntries): Promise<void> {
  const entries = sortedEntries(deltas);
  if (entries.length === 0) return;
  if (q.engine === 'sqlite') {
    const sets = COUNT_FIELDS.map((f) => `${f} = ${f} + ?`).join(', ');
    await q.runMany(
      `UPDATE people SET ${sets}, source_mask = source_mask | ?, first_interaction_at = ${FIRST}, last_interaction_at = ${LAST} WHERE id = ?`,
      entries.map(([id, s]) => [...COUNT_FIELDS.map((f) => s[f]), s.source_mask, s.first_interaction_at, s.first_interaction_at, s.last_interaction_at, s.last_interaction_at, id]),
    );
    return;
  }
  const sets = COUNT_FIELDS.map((f) => `${f} = p.${f} + v.${f}`).join(', ');
  await q.run(
    `UPDATE people AS p SET ${sets}, source_mask = p.source_mask | v.source_mask,
       first_interaction_at = CASE WHEN p.first_interaction_at IS NULL OR p.first_interaction_at > v.f THEN v.f ELSE p.first_interaction_at END,
       last_interaction_at = CASE WHEN p.last_interaction_at IS NULL OR p.last_interaction_at < v.l THEN v.l ELSE p.last_interaction_at END
     FROM ${PG_ARRAYS} WHERE p.id = v.id`,
    pgParams(entries),
  );
}

/** Overwrite with a recomputation; returns how many people were given (each now holds its values). */
export async function setStats(q: Queryable, stats: StatsEntries): Promise<number> {
  const entries = sortedEntries(stats);
  if (entries.length === 0) return 0;
  // Rows already holding the recomputed values are left alone: a refresh that finds the counts
  // exact (the normal case) dirties no page and commits almost nothing.
  if (q.engine === 'sqlite') {
    const cols = [...COUNT_FIELDS, 'source_mask', 'first_interaction_at', 'last_interaction_at'];
    await q.runMany(
      `UPDATE people SET ${cols.map((f) => `${f} = ?`).join(', ')} WHERE id = ? AND (${cols.map((f) => `${f} IS NOT ?`).join(' OR ')})`,
      entries.map(([id, s]) => {
        const values = [...COUNT_FIELDS.map((f) => s[f]), s.source_mask, s.first_interaction_at, s.last_interaction_at];
        return [...values, id, ...values];
      }),
    );
  } else {
    const sets = COUNT_FIELDS.map((f) => `${f} = v.${f}`).join(', ');
    const differs = [...COUNT_FIELDS.map((f) => `p.${f} IS DISTINCT FROM v.${f}`), 'p.source_mask IS DISTINCT FROM v.source_mask', 'p.first_interaction_at IS DISTINCT FROM v.f', 'p.last_interaction_at IS DISTINCT FROM v.l'];
    await q.run(
      `UPDATE people AS p SET ${sets}, source_mask = v.source_mask, first_interaction_at = v.f, last_interaction_at = v.l
       FROM ${PG_ARRAYS} WHERE p.id = v.id AND (${differs.join(' OR ')})`,
      pgParams(entries),
    );
  }
  return entries.length;
}
