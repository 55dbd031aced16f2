import type { Db, Queryable } from '../db/db.js';
import { checkInteraction, describeProblem, type InteractionInput, type RowProblem } from '../domain/people/interaction.js';
import { addInteraction, emptyStats, type PersonStats } from '../domain/people/source-mapping.js';
import { InvalidInputError } from '../errors.js';
import type { InteractionSourceType } from '../sources/source-event.js';
import { addStats } from './people-stats.store.js';
import { pgArray, resolveLivePeople } from './sql-support.js';

/**
 * Batch ingest of interactions with the cached counts maintained by delta in the same
 * transaction: the rows actually inserted come back through RETURNING (re-imported items hit
 * ON CONFLICT DO NOTHING and change nothing), are folded per person, and each affected person
 * gets one `count = count + delta` update. No recount, no second pass, no window in which an
 * interaction exists but is not counted.
 */
export type IngestMode = 'all-or-nothing' | 'skip-invalid';

export interface IngestOptions {
  /** all-or-nothing (default): any bad row rejects the whole batch, nothing is written. */
  mode?: IngestMode;
  /**
   * false = benchmark baseline only: rows are inserted without touching the counts, which stay
   * stale until `refreshPeopleStats` runs for the affected people. Never use it in a sync.
   */
  maintainCounts?: boolean;
}

export interface IngestResult {
  inserted: number;
  duplicates: number;
  rejected: RowProblem[];
  affectedPeople: string[];
}

/** Thrown in all-or-nothing mode; `problems` names every bad row's index and field. */
export class IngestRejectedError extends InvalidInputError {
  override name = 'IngestRejectedError';
  constructor(readonly problems: RowProblem[]) {
    const shown = problems.slice(0, 5).map(describeProblem).join('; ');
    super(`interaction batch rejected, nothing written: ${shown}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
  }
}

export function ingestInteractions(db: Db, rows: readonly InteractionInput[], opts: IngestOptions = {}): Promise<IngestResult> {
  return db.tx((q) => ingestInteractionsIn(q, rows, opts));
}

/** The same inside the caller's transaction (e.g. resolve participants + ingest atomically). */
export async function ingestInteractionsIn(q: Queryable, rows: readonly InteractionInput[], opts: IngestOptions = {}): Promise<IngestResult> {
  const mode = opts.mode ?? 'all-or-nothing';
  const problems: RowProblem[] = [];
  const valid: InteractionInput[] = [];
  const validIndex: number[] = [];
  rows.forEach((row, i) => {
    const p = checkInteraction(row, i);
    if (p) problems.push(p);
    else {
      valid.push(row);
      validIndex.push(i);
    }
  });
  const live = await resolveLivePeople(q, valid.map((r) => r.personId));
  const accepted: InteractionInput[] = [];
  valid.forEach((r, j) => {
    const personId = live.get(r.personId);
    if (personId) accepted.push(personId === r.personId ? r : { ...r, personId });
    else problems.push({ index: validIndex[j]!, field: 'personId', message: `unknown person ${JSON.stringify(r.personId)}` });
  });
  problems.sort((a, b) => a.index - b.index);
  if (problems.length > 0 && mode === 'all-or-nothing') throw new IngestRejectedError(problems);

  const maintain = opts.maintainCounts !== false;
  const inserted = q.engine === 'postgres' ? await insertPg(q, accepted, maintain) : await insertSqlite(q, accepted, maintain);
  const deltas = new Map<string, PersonStats>();
  for (const r of inserted.rows) {
    let s = deltas.get(r.person_id);
    if (!s) deltas.set(r.person_id, (s = emptyStats()));
    addInteraction(s, r.source_type, Number(r.occurred_at));
  }
  if (maintain) await addStats(q, deltas);
  return { inserted: inserted.count, duplicates: accepted.length - inserted.count, rejected: problems, affectedPeople: [...deltas.keys()] };
}

interface Inserted {
  person_id: string;
  source_type: InteractionSourceType;
  occurred_at: number;
}

const COLS = '(person_id, source_type, external_id, occurred_at, title, snippet, conversation_key, entity_ref)';
const CONFLICT = 'ON CONFLICT (source_type, external_id) DO NOTHING';
/**
 * SQLite: one prepared single-row INSERT per row (with better-sqlite3 that beats multi-row
 * VALUES: binding thousands of spread arguments costs more than the statement). Each row's
 * `changes` says whether it was new, so re-imported items cost nothing extra. (No savepoint per
 * chunk: SQLite copies every page first touched inside a savepoint to a sub-journal, which
 * doubled the cost of inserting into the randomly-ordered person index.)
 */
async function insertSqlite(q: Queryable, rows: InteractionInput[], track: boolean): Promise<{ count: number; rows: Inserted[] }> {
  const sql = `INSERT INTO interactions ${COLS} VALUES (?, ?, ?, ?, ?, ?, ?, ?) ${CONFLICT}`;
  const { changes, perRow } = await q.runMany(
    sql,
    rows.map((r) => [r.personId, r.sourceType, r.externalId, r.occurredAt, r.title ?? '', r.snippet ?? null, r.conversationKey ?? null, r.entityRef ?? null]),
  );
  if (!track) return { count: changes, rows: [] };
  const out: Inserted[] = [];
  rows.forEach((r, i) => {
    if (perRow[i]) out.push({ person_id: r.personId, source_type: r.sourceType, occurred_at: r.occurredAt });
  });
  return { count: out.length, rows: out };
}

const PG_CHUNK = 5000;

async function insertPg(q: Queryable, rows: InteractionInput[], returning: boolean): Promise<{ count: number; rows: Inserted[] }> {
  // Concurrent batches that overlap insert in the same key order, so they queue instead of deadlocking.
  const sorted = [...rows].sort((a, b) => (a.sourceType === b.sourceType ? cmp(a.externalId, b.externalId) : cmp(a.sourceType, b.sourceType)));
  const out: Inserted[] = [];
  let count = 0;
  for (let i = 0; i < sorted.length; i += PG_CHUNK) {
    const chunk = sorted.slice(i, i + PG_CHUNK);
    const sql = `INSERT INTO interactions ${COLS}
      SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS bigint[]),
                           CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[])) ${CONFLICT}`;
    const params = [
      chunk.map((r) => r.personId),
      chunk.map((r) => r.sourceType),
      chunk.map((r) => r.externalId),
      chunk.map((r) => r.occurredAt),
      chunk.map((r) => r.title ?? ''),
      chunk.map((r) => r.snippet ?? null),
      chunk.map((r) => r.conversationKey ?? null),
      chunk.map((r) => r.entityRef ?? null),
    ].map(pgArray);
    if (returning) {
      const got = await q.all<Inserted>(`${sql} RETURNING person_id, source_type, occurred_at`, params);
      for (const g of got) out.push(g);
      count += got.length;
    } else count += (await q.run(sql, params)).changes;
  }
  return { count, rows: out };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
