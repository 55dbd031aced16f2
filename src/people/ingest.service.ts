import type { Db, Queryable } from '../db/db.js';
import { pgCopyTarget } from '../db/postgres-db.js';
import { checkInteraction, describeProblem, type InteractionInput, type RowProblem } from '../domain/people/interaction.js';
import { addInteraction, COUNT_FIELDS, emptyStats, INTERACTION_SOURCE_TYPES, SOURCE_BIT, SOURCE_COUNT_FIELD, type PersonStats } from '../domain/people/source-mapping.js';
import { InvalidInputError } from '../errors.js';
import type { InteractionSourceType } from '../sources/source-event.js';
import { addStats, addStatsColumns, StatsDeltaColumns } from './people-stats.store.js';
import { resolveLivePeople } from './sql-support.js';

/**
 * Batch ingest of interactions with the cached counts maintained by delta in the same
 * transaction: only the rows actually inserted count (re-imported items hit ON CONFLICT DO
 * NOTHING and change nothing); they are folded per person, and each affected person gets one
 * `count = count + delta` update. SQLite folds them here from each row's change count;
 * PostgreSQL streams a batch of new keys straight into the table with COPY, folding the deltas
 * as it encodes the rows, and when a key is already stored falls back to an ON CONFLICT insert
 * whose RETURNING rows it folds in the same statement (ingestPg). No recount, no second pass, no
 * window in which an interaction exists but is not counted.
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
  const pg = q.engine === 'postgres';
  // PostgreSQL: the people are locked first, and the rows checked and sorted while the server
  // does it (a row refused below only means one person locked for nothing).
  const early = pg ? resolveLivePeople(q, personIdsOf(rows)) : undefined;
  const problems: RowProblem[] = [];
  const valid: InteractionInput[] = [];
  const validIndex: number[] = [];
  rows.forEach((row, i) => {
    const p = checkInteraction(row, i) ?? (pg ? nulProblem(row, i) : null);
    if (p) problems.push(p);
    else {
      valid.push(row);
      validIndex.push(i);
    }
  });
  const byPerson = pg ? sortByPerson(valid) : [];
  const live = await (early ?? resolveLivePeople(q, valid.map((r) => r.personId)));
  const accepted: InteractionInput[] = [];
  valid.forEach((r, j) => {
    const personId = live.get(r.personId);
    if (personId) accepted.push(personId === r.personId ? r : { ...r, personId });
    else problems.push({ index: validIndex[j]!, field: 'personId', message: `unknown person ${JSON.stringify(r.personId)}` });
  });
  problems.sort((a, b) => a.index - b.index);
  if (problems.length > 0 && mode === 'all-or-nothing') throw new IngestRejectedError(problems);

  const maintain = opts.maintainCounts !== false;
  if (pg) {
    const got = await ingestPg(q, uniqueAccepted(valid, byPerson, live), maintain);
    return { inserted: got.inserted, duplicates: accepted.length - got.inserted, rejected: problems, affectedPeople: got.affected };
  }
  const inserted = await insertSqlite(q, accepted, maintain);
  const deltas = new Map<string, PersonStats>();
  for (const r of inserted.rows) {
    let s = deltas.get(r.person_id);
    if (!s) deltas.set(r.person_id, (s = emptyStats()));
    addInteraction(s, r.source_type, Number(r.occurred_at));
  }
  if (maintain) await addStats(q, deltas);
  return { inserted: inserted.count, duplicates: accepted.length - inserted.count, rejected: problems, affectedPeople: [...deltas.keys()] };
}

function personIdsOf(rows: readonly InteractionInput[]): string[] {
  const out: string[] = [];
  for (const r of rows) if (typeof r === 'object' && r !== null && typeof r.personId === 'string') out.push(r.personId);
  return out;
}

const TEXT_FIELDS = ['personId', 'externalId', 'title', 'snippet', 'conversationKey', 'entityRef'] as const;

/** PostgreSQL's text type cannot hold U+0000 (SQLite stores it as given). */
function nulProblem(row: InteractionInput, index: number): RowProblem | null {
  for (const f of TEXT_FIELDS) {
    const v = row[f];
    if (typeof v === 'string' && v.includes('\0')) return { index, field: f, message: 'contains a NUL character (U+0000), which PostgreSQL text cannot store' };
  }
  return null;
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

/**
 * PostgreSQL. The path is shaped for the common case, a batch of keys never stored before, and
 * for the server's CPU, which is what bounds ingest:
 *
 * - Fast path: the batch, each key once (a key repeated within the batch keeps its first
 *   occurrence, as SQLite's row-by-row insert does) and in person order, is streamed with
 *   `COPY interactions FROM STDIN` inside a savepoint. COPY writes the heap in multi-row WAL
 *   records and needs no staging table, no `RETURNING` and no aggregation on the server;
 *   the per-person deltas are folded here while the COPY text is built (the same source mapping
 *   as SQLite's addInteraction) and applied with one `count = count + delta` UPDATE. Building
 *   the next COPY message overlaps the server's inserting the previous one.
 * - When any key is already stored (a re-import, an at-least-once redelivery, or a key another
 *   transaction committed meanwhile: the COPY waits for that transaction, then fails),
 *   PostgreSQL raises unique_violation; the savepoint is rolled back (nothing of the batch
 *   stays) and the batch goes the safe way: COPY into a temporary staging table of this connection, then one
 *   `INSERT … ON CONFLICT DO NOTHING … RETURNING` whose new rows are grouped per person and
 *   added to `people` in the same statement. Only rows actually inserted are counted.
 *
 * `ON CONFLICT DO NOTHING` for every batch would be simpler, but its speculative insertion and
 * the INSERT … SELECT from staging cost about a fifth more server CPU a row than the COPY, and an
 * anti-join (`WHERE NOT EXISTS` on the key) in front of a plain INSERT saves almost nothing: its
 * probe of the key index costs what the speculative insertion does. A batch that fails over
 * wastes the fast path's work up to its first stored key (nothing for a redelivered batch, whose
 * first key is stored).
 *
 * Rows are sent in the order of the `(person_id, source_type, occurred_at)` index (sorted here
 * while the server locks the people), whose inserts are the costliest part of the COPY. Two
 * transactions are only inside this COPY together for disjoint sets of people (each has locked
 * its people first, in id order), so they meet on a key only when the same interaction key
 * arrives for different people; should they then wait on each other, PostgreSQL's deadlock
 * detector aborts one and Db.tx runs it again.
 */
const STAGING = 'interactions_staging';
const STAGING_COLS = 'person_id, source_type, external_id, occurred_at, title, snippet, conversation_key, entity_ref';
// ON COMMIT DELETE ROWS empties it at commit; TRUNCATE covers a second batch in one transaction.
const PREPARE_STAGING = `CREATE TEMP TABLE IF NOT EXISTS ${STAGING} (
    person_id text, source_type text, external_id text, occurred_at bigint,
    title text, snippet text, conversation_key text, entity_ref text) ON COMMIT DELETE ROWS;
  TRUNCATE ${STAGING}`;
const INSERT_STAGED = `INSERT INTO interactions ${COLS}
  SELECT ${STAGING_COLS} FROM ${STAGING}
  ${CONFLICT}`;

function sqlList(values: readonly string[]): string {
  for (const v of values) if (!/^[a-z_]+$/.test(v)) throw new Error(`source type ${JSON.stringify(v)} cannot be inlined in SQL`);
  return values.map((v) => `'${v}'`).join(', ');
}

const DELTA_COLUMNS = [
  ...COUNT_FIELDS.map((f) => `count(*) FILTER (WHERE source_type IN (${sqlList(INTERACTION_SOURCE_TYPES.filter((t) => SOURCE_COUNT_FIELD[t] === f))}))::int AS ${f}`),
  `bit_or(CASE source_type ${INTERACTION_SOURCE_TYPES.map((t) => `WHEN ${sqlList([t])} THEN ${SOURCE_BIT[t]}`).join(' ')} ELSE 0 END) AS source_mask`,
  'min(occurred_at) AS f',
  'max(occurred_at) AS l',
  'count(*)::int AS n',
].join(',\n      ');

const INSERT_STAGED_COUNTED = `WITH ins AS (${INSERT_STAGED} RETURNING person_id, source_type, occurred_at),
  d AS (SELECT person_id,
      ${DELTA_COLUMNS}
    FROM ins GROUP BY person_id)
  UPDATE people AS p SET ${COUNT_FIELDS.map((f) => `${f} = p.${f} + d.${f}`).join(', ')},
    source_mask = p.source_mask | d.source_mask,
    first_interaction_at = CASE WHEN p.first_interaction_at IS NULL OR p.first_interaction_at > d.f THEN d.f ELSE p.first_interaction_at END,
    last_interaction_at = CASE WHEN p.last_interaction_at IS NULL OR p.last_interaction_at < d.l THEN d.l ELSE p.last_interaction_at END
  FROM d WHERE p.id = d.person_id
  RETURNING p.id, d.n`;

/** Rows per COPY data message (about 100 bytes a row). */
const COPY_CHUNK = 2000;
const UNIQUE_VIOLATION = '23505';

/** `rows`: accepted, resolved, each key once, in index order (uniqueAccepted). */
async function ingestPg(q: Queryable, rows: readonly InteractionInput[], maintain: boolean): Promise<{ inserted: number; affected: string[] }> {
  const target = pgCopyTarget(q);
  if (!target) throw new Error('PostgreSQL ingest needs a PostgreSQL connection');
  if (rows.length === 0) return { inserted: 0, affected: [] };
  const batch = new CopyBatch(rows, maintain);
  await q.exec('SAVEPOINT ingest_new');
  try {
    await target.copyFrom(`COPY interactions ${COLS} FROM STDIN`, batch.chunks());
    if (maintain) await addStatsColumns(q, batch.deltaParams());
    await q.exec('RELEASE SAVEPOINT ingest_new');
    return { inserted: batch.rows.length, affected: batch.deltas.ids };
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    await q.exec('ROLLBACK TO SAVEPOINT ingest_new; RELEASE SAVEPOINT ingest_new');
  }
  await q.exec(PREPARE_STAGING);
  await target.copyFrom(`COPY ${STAGING} (${STAGING_COLS}) FROM STDIN`, batch.chunks());
  if (!maintain) return { inserted: (await q.run(INSERT_STAGED)).changes, affected: [] };
  const got = await q.all<{ id: string; n: number }>(INSERT_STAGED_COUNTED);
  return { inserted: got.reduce((a, r) => a + r.n, 0), affected: got.map((r) => r.id) };
}

/**
 * In the order of the `(person_id, source_type, occurred_at)` index: its inserts, the costliest
 * part of the COPY, then walk the index instead of jumping about it (about a tenth less server
 * CPU a row than key order).
 */
function sortByPerson(rows: readonly InteractionInput[]): InteractionInput[] {
  return [...rows].sort((a, b) =>
    a.personId !== b.personId ? cmp(a.personId, b.personId) : a.sourceType !== b.sourceType ? cmp(a.sourceType, b.sourceType) : a.occurredAt - b.occurredAt,
  );
}

/**
 * The rows of known people, each key once: its first accepted occurrence in the input, as
 * SQLite's row-by-row insert keeps, with the person it resolves to; in `ordered`'s order.
 */
function uniqueAccepted(input: readonly InteractionInput[], ordered: readonly InteractionInput[], live: ReadonlyMap<string, string>): InteractionInput[] {
  const seen = new Map<string, Set<string>>();
  let kept: Set<InteractionInput> | undefined;
  input.forEach((r, i) => {
    if (!live.has(r.personId)) return;
    let ids = seen.get(r.sourceType);
    if (!ids) seen.set(r.sourceType, (ids = new Set()));
    if (!ids.has(r.externalId)) {
      ids.add(r.externalId);
      kept?.add(r);
    } else if (!kept) kept = new Set(input.slice(0, i).filter((x) => live.has(x.personId)));
  });
  const out: InteractionInput[] = [];
  for (const r of ordered) {
    const personId = live.get(r.personId);
    if (!personId || (kept && !kept.has(r))) continue;
    out.push(personId === r.personId ? r : { ...r, personId });
  }
  return out;
}

/**
 * A batch as COPY text, built one message at a time as the COPY consumes it (and kept, should
 * the batch be sent a second time), folding each row into the per-person deltas as it goes.
 */
class CopyBatch {
  readonly deltas = new StatsDeltaColumns();
  private readonly built: Buffer[] = [];
  constructor(
    readonly rows: readonly InteractionInput[],
    private readonly maintain: boolean,
  ) {}

  private params: string[] | undefined;

  *chunks(): Generator<Buffer> {
    for (let i = 0; i * COPY_CHUNK < this.rows.length; i++) yield (this.built[i] ??= this.build(i * COPY_CHUNK, Math.min(this.rows.length, (i + 1) * COPY_CHUNK)));
    // The last message is sent: encode the deltas while the server is still inserting.
    if (this.maintain) this.deltaParams();
  }

  /** The count UPDATE's parameters (addStatsColumns), once every row is folded. */
  deltaParams(): string[] {
    return (this.params ??= this.deltas.params());
  }

  private build(from: number, to: number): Buffer {
    let text = '';
    for (let i = from; i < to; i++) {
      const r = this.rows[i]!;
      text += `${copyText(r.personId)}\t${r.sourceType}\t${copyText(r.externalId)}\t${r.occurredAt}\t${copyText(r.title ?? '')}\t${copyNullable(r.snippet)}\t${copyNullable(r.conversationKey)}\t${copyNullable(r.entityRef)}\n`;
      if (this.maintain) this.deltas.add(r.personId, r.sourceType, r.occurredAt);
    }
    return Buffer.from(text, 'utf8');
  }
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped. */
export function copyText(v: string): string {
  return COPY_SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : v;
}

function copyNullable(v: string | null | undefined): string {
  return v === null || v === undefined ? '\\N' : copyText(v);
}


function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
