import type { Queryable, SqlValue } from '../db/db.js';
import { COUNT_FIELDS, SOURCE_BIT, SOURCE_COUNT_FIELD, type PersonStats } from '../domain/people/source-mapping.js';
import type { InteractionSourceType } from '../sources/source-event.js';
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

const PG_UPDATE = `UPDATE people AS p SET ${COUNT_FIELDS.map((f) => `${f} = p.${f} + v.${f}`).join(', ')}, source_mask = p.source_mask | v.source_mask,
       first_interaction_at = CASE WHEN p.first_interaction_at IS NULL OR p.first_interaction_at > v.f THEN v.f ELSE p.first_interaction_at END,
       last_interaction_at = CASE WHEN p.last_interaction_at IS NULL OR p.last_interaction_at < v.l THEN v.l ELSE p.last_interaction_at END
     FROM ${PG_ARRAYS} WHERE p.id = v.id`;

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
  await q.run(PG_UPDATE, pgParams(entries));
}

/**
 * Per-person deltas held column by column: the PostgreSQL ingest's hot path folds tens of
 * thousands of rows a batch into them, with no object per person, and sends each column as
 * one array literal (node-postgres would otherwise escape every element of every array).
 */
export class StatsDeltaColumns {
  readonly ids: string[] = [];
  private readonly at = new Map<string, number>();
  private readonly counts: number[][] = COUNT_FIELDS.map(() => []);
  private readonly mask: number[] = [];
  private readonly first: number[] = [];
  private readonly last: number[] = [];

  private lastId: string | undefined;
  private lastAt = 0;

  /** Rows of one person in a row (the ingest sends them sorted by person) cost one lookup. */
  add(personId: string, sourceType: InteractionSourceType, occurredAt: number): void {
    let i = personId === this.lastId ? this.lastAt : this.at.get(personId);
    if (i === undefined) {
      i = this.ids.length;
      this.at.set(personId, i);
      this.ids.push(personId);
      for (const c of this.counts) c.push(0);
      this.mask.push(0);
      this.first.push(occurredAt);
      this.last.push(occurredAt);
    }
    this.lastId = personId;
    this.lastAt = i;
    this.counts[FIELD_COLUMN[sourceType]]![i]! += 1;
    this.mask[i]! |= SOURCE_BIT[sourceType];
    if (occurredAt < this.first[i]!) this.first[i] = occurredAt;
    if (occurredAt > this.last[i]!) this.last[i] = occurredAt;
  }

  /** The parameters of PG_ARRAYS, as PostgreSQL array literals. */
  params(): string[] {
    return [textArray(this.ids), ...this.counts.map(numberArray), numberArray(this.mask), numberArray(this.first), numberArray(this.last)];
  }
}

const FIELD_COLUMN = Object.fromEntries(Object.entries(SOURCE_COUNT_FIELD).map(([t, f]) => [t, COUNT_FIELDS.indexOf(f)])) as Record<InteractionSourceType, number>;

const numberArray = (xs: readonly number[]): string => `{${xs.join(',')}}`;
const ARRAY_SPECIAL = /["\\]/g;
/** Every element quoted (so NULL, empty strings, commas and braces are plain text), `"` and `\` escaped. */
const textArray = (xs: readonly string[]): string => `{${xs.map((x) => `"${x.includes('"') || x.includes('\\') ? x.replace(ARRAY_SPECIAL, '\\$&') : x}"`).join(',')}}`;

/** addStats for PostgreSQL from StatsDeltaColumns.params() (the people are locked by the caller). */
export async function addStatsColumns(q: Queryable, params: readonly string[]): Promise<void> {
  if (params[0] === '{}') return;
  await q.run(PG_UPDATE, params);
}
