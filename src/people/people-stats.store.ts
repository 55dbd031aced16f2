import type { Queryable, SqlValue } from '../db/db.js';
import { COUNT_FIELDS, type PersonStats } from '../domain/people/source-mapping.js';
import { pgArray } from './sql-support.js';

/**
 * `count = count + delta` writes of the cached stats columns of `people` (ingest; correct under
 * concurrency, the rows are locked), in one statement per batch whatever its size.
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
