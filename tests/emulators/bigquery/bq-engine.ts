import Database from 'better-sqlite3';
import { EmulatorClock } from '../emulator-clock.js';
import { type BqType, ValueError, inferType, normaliseType, sqliteAffinity, toSqlite, toWire } from './bq-values.js';
import { SqlError, type TableRef, sqliteTableName, translate } from './sql-translate.js';

/** An error the REST layer answers as `{error:{code, message, errors:[{reason, message}], status}}`. */
export class BqHttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FieldSchema {
  name: string;
  type: string;
  mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  description?: string;
}

interface TableMeta {
  ref: TableRef;
  fields: (FieldSchema & { bq: BqType })[];
  resource: Record<string, unknown>;
}

export interface QueryParameter {
  name?: string;
  parameterType: { type: string; arrayType?: { type: string } };
  parameterValue: { value?: unknown; arrayValues?: { value?: unknown }[] };
}

export type QueryOutcome =
  | { kind: 'rows'; fields: { name: string; type: string; mode: string }[]; rows: { f: { v: string | null }[] }[] }
  | { kind: 'dml'; statement: 'insert' | 'update' | 'delete'; affected: number };

const BUFFER_MARK = 'KITH_STREAMING_BUFFER';
const LOCATION = 'US';

export interface EngineOptions {
  /** How long rows stay in the streaming buffer (default 30 minutes, as in BigQuery). */
  streamingBufferMs?: number;
  /** insertId de-duplication window (BigQuery: best effort, about a minute). */
  dedupeWindowMs?: number;
  /** What CURRENT_TIMESTAMP and the streaming buffer's age are read from (default: a clock of its own, at real time). */
  clock?: EmulatorClock;
}

/**
 * The storage and SQL side of the emulator: one SQLite connection; every BigQuery table is a
 * SQLite table named "project.dataset.table" with affinities from its schema, plus a side table
 * remembering when each row arrived through insertAll. Triggers on the data table refuse
 * UPDATE/DELETE of rows still in the streaming buffer, so the refusal is decided by SQLite on
 * the rows the statement really touches.
 */
export class BqEngine {
  readonly db: Database.Database;
  private readonly datasets = new Map<string, Record<string, unknown>>();
  private readonly tables = new Map<string, TableMeta>();
  private readonly seenInsertIds = new Map<string, number>();
  readonly clock: EmulatorClock;
  readonly streamingBufferMs: number;
  readonly dedupeWindowMs: number;

  constructor(opts: EngineOptions = {}) {
    this.clock = opts.clock ?? new EmulatorClock();
    this.streamingBufferMs = opts.streamingBufferMs ?? 30 * 60_000;
    this.dedupeWindowMs = opts.dedupeWindowMs ?? 60_000;
    this.db = new Database(':memory:');
    this.db.function('BQ_CURRENT_TIMESTAMP', { deterministic: false }, () => BigInt(this.now()) * 1000n);
    this.db.function('BQ_BUFFER_CUTOFF', { deterministic: false }, () => this.now() - this.streamingBufferMs);
    this.db.function('UNIX_MICROS', { deterministic: true, safeIntegers: true }, (t: unknown) => t);
    this.db.function('UNIX_MILLIS', { deterministic: true, safeIntegers: true }, (t: unknown) => (typeof t === 'bigint' ? t / 1000n : t));
    this.db.function('TIMESTAMP_MICROS', { deterministic: true, safeIntegers: true }, (t: unknown) => t);
    this.db.function('TIMESTAMP_MILLIS', { deterministic: true, safeIntegers: true }, (t: unknown) => (typeof t === 'bigint' ? t * 1000n : t));
    this.db.function('JSON_VALUE', { deterministic: true }, (json: unknown, path: unknown) => jsonValue(json, path));
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * Move the emulator's clock (streaming buffer age, CURRENT_TIMESTAMP) forward, at once. A clock
   * shared with the Supabase emulator is moved with `await clock.advance(ms)` instead.
   */
  advance(ms: number): void {
    void this.clock.advance(ms);
  }

  // ---- datasets and tables -------------------------------------------------------------------

  createDataset(projectId: string, body: { datasetReference?: { datasetId?: string } } & Record<string, unknown>) {
    const datasetId = body.datasetReference?.datasetId;
    if (!datasetId || !/^[A-Za-z0-9_]{1,1024}$/.test(datasetId)) throw new BqHttpError(400, 'invalid', `Invalid dataset ID "${datasetId ?? ''}".`);
    const key = `${projectId}.${datasetId}`;
    if (this.datasets.has(key)) throw new BqHttpError(409, 'duplicate', `Already Exists: Dataset ${projectId}:${datasetId}`);
    const resource = { ...body, kind: 'bigquery#dataset', id: `${projectId}:${datasetId}`, datasetReference: { projectId, datasetId }, location: LOCATION, creationTime: String(this.now()) };
    this.datasets.set(key, resource);
    return resource;
  }

  getDataset(projectId: string, datasetId: string) {
    const ds = this.datasets.get(`${projectId}.${datasetId}`);
    if (!ds) throw new BqHttpError(404, 'notFound', `Not found: Dataset ${projectId}:${datasetId}`);
    return ds;
  }

  createTable(projectId: string, datasetId: string, body: { tableReference?: { tableId?: string }; schema?: { fields?: FieldSchema[] } } & Record<string, unknown>) {
    this.getDataset(projectId, datasetId);
    const tableId = body.tableReference?.tableId;
    if (!tableId || !/^[A-Za-z0-9_]{1,1024}$/.test(tableId)) throw new BqHttpError(400, 'invalid', `Invalid table ID "${tableId ?? ''}".`);
    const ref = { projectId, datasetId, tableId };
    const name = sqliteTableName(ref);
    if (this.tables.has(name)) throw new BqHttpError(409, 'duplicate', `Already Exists: Table ${projectId}:${datasetId}.${tableId}`);
    const fields = (body.schema?.fields ?? []).map((f) => {
      const bq = normaliseType(f.type ?? '');
      if (!bq) throw new BqHttpError(400, 'invalid', `Unsupported field type ${f.type} for field ${f.name} (the emulator supports scalar types)`);
      if (f.mode === 'REPEATED') throw new BqHttpError(400, 'invalid', `Field ${f.name}: REPEATED columns are not supported by the emulator`);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) throw new BqHttpError(400, 'invalid', `Invalid field name "${f.name}".`);
      return { ...f, mode: f.mode ?? 'NULLABLE', bq };
    });
    if (!fields.length) throw new BqHttpError(400, 'invalid', 'The emulator needs a schema with at least one field');
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const cols = fields.map((f) => `${q(f.name)} ${sqliteAffinity(f.bq)}`).join(', ');
    const side = q(`${name}$streamed`);
    const guard = `WHEN EXISTS (SELECT 1 FROM ${side} s WHERE s.rid = OLD.rowid AND s.at > BQ_BUFFER_CUTOFF()) BEGIN SELECT RAISE(ABORT, '${BUFFER_MARK}'); END`;
    this.db.exec(`
      CREATE TABLE ${q(name)} (${cols});
      CREATE TABLE ${side} (rid INTEGER PRIMARY KEY, at INTEGER NOT NULL);
      CREATE TRIGGER ${q(`${name}$guard_update`)} BEFORE UPDATE ON ${q(name)} ${guard};
      CREATE TRIGGER ${q(`${name}$guard_delete`)} BEFORE DELETE ON ${q(name)} ${guard};
      CREATE TRIGGER ${q(`${name}$forget`)} AFTER DELETE ON ${q(name)} BEGIN DELETE FROM ${side} WHERE rid = OLD.rowid; END;
    `);
    // Clustering and partitioning stand in for indexes: BigQuery prunes on them, SQLite indexes them.
    const clustering = (body.clustering as { fields?: string[] } | undefined)?.fields ?? [];
    const partitionField = (body.timePartitioning as { field?: string } | undefined)?.field;
    for (const [label, cols] of [['cluster', clustering], ['partition', partitionField ? [partitionField] : []]] as const) {
      if (!cols.length) continue;
      const unknown = cols.find((c) => !fields.some((f) => f.name === c));
      if (unknown) throw new BqHttpError(400, 'invalid', `The field specified for ${label === 'cluster' ? 'clustering' : 'partitioning'} cannot be found in the schema: ${unknown}`);
      this.db.exec(`CREATE INDEX ${q(`${name}$${label}`)} ON ${q(name)} (${cols.map(q).join(', ')})`);
    }
    const resource = {
      ...body,
      kind: 'bigquery#table',
      id: `${projectId}:${datasetId}.${tableId}`,
      tableReference: ref,
      schema: { fields: fields.map(({ bq: _bq, ...f }) => f) },
      location: LOCATION,
      type: 'TABLE',
      creationTime: String(this.now()),
    };
    this.tables.set(name, { ref, fields, resource });
    return resource;
  }

  getTable(projectId: string, datasetId: string, tableId: string): TableMeta {
    this.getDataset(projectId, datasetId);
    const t = this.tables.get(sqliteTableName({ projectId, datasetId, tableId }));
    if (!t) throw new BqHttpError(404, 'notFound', `Not found: Table ${projectId}:${datasetId}.${tableId}`);
    return t;
  }

  tableResource(projectId: string, datasetId: string, tableId: string) {
    const t = this.getTable(projectId, datasetId, tableId);
    const name = sqliteTableName(t.ref);
    const { n } = this.db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number };
    const buffered = this.db.prepare(`SELECT count(*) AS n FROM "${name}$streamed" WHERE at > ?`).get(this.now() - this.streamingBufferMs) as { n: number };
    return { ...t.resource, numRows: String(n), ...(buffered.n ? { streamingBuffer: { estimatedRows: String(buffered.n) } } : {}) };
  }

  // ---- streaming inserts ---------------------------------------------------------------------

  insertAll(projectId: string, datasetId: string, tableId: string, body: { rows?: { insertId?: string; json?: Record<string, unknown> }[]; skipInvalidRows?: boolean; ignoreUnknownValues?: boolean }) {
    const t = this.getTable(projectId, datasetId, tableId);
    const rows = body.rows;
    if (!Array.isArray(rows) || rows.length === 0) throw new BqHttpError(400, 'invalid', 'No rows present in the request.');
    const name = sqliteTableName(t.ref);
    const now = this.now();
    for (const [k, at] of this.seenInsertIds) if (at <= now - this.dedupeWindowMs) this.seenInsertIds.delete(k);

    const errors: { index: number; errors: { reason: string; location: string; debugInfo: string; message: string }[] }[] = [];
    const prepared: { index: number; values: unknown[]; insertId?: string }[] = [];
    rows.forEach((row, index) => {
      const json = row.json;
      if (!json || typeof json !== 'object') {
        errors.push({ index, errors: [{ reason: 'invalid', location: '', debugInfo: '', message: 'Row is not a JSON object.' }] });
        return;
      }
      const rowErrors: { reason: string; location: string; debugInfo: string; message: string }[] = [];
      if (!body.ignoreUnknownValues) {
        for (const key of Object.keys(json)) {
          if (!t.fields.some((f) => f.name === key)) rowErrors.push({ reason: 'invalid', location: key, debugInfo: '', message: `no such field: ${key}.` });
        }
      }
      const values = t.fields.map((f) => {
        const v = json[f.name];
        if (v === undefined || v === null) {
          if (f.mode === 'REQUIRED') rowErrors.push({ reason: 'invalid', location: f.name, debugInfo: '', message: `Missing required field: ${f.name}.` });
          return null;
        }
        try {
          return toSqlite(f.bq, v);
        } catch (err) {
          rowErrors.push({ reason: 'invalid', location: f.name, debugInfo: '', message: (err as Error).message });
          return null;
        }
      });
      if (rowErrors.length) errors.push({ index, errors: rowErrors });
      else prepared.push({ index, values, insertId: row.insertId });
    });

    // Without skipInvalidRows one bad row stops the whole request, as in BigQuery.
    if (errors.length && !body.skipInvalidRows) {
      for (const p of prepared) errors.push({ index: p.index, errors: [{ reason: 'stopped', location: '', debugInfo: '', message: '' }] });
      errors.sort((a, b) => a.index - b.index);
      return { kind: 'bigquery#tableDataInsertAllResponse', insertErrors: errors };
    }
    const cols = t.fields.map((f) => `"${f.name}"`).join(', ');
    const insert = this.db.prepare(`INSERT INTO "${name}" (${cols}) VALUES (${t.fields.map(() => '?').join(', ')})`);
    const mark = this.db.prepare(`INSERT INTO "${name}$streamed" (rid, at) VALUES (?, ?)`);
    this.db.transaction(() => {
      for (const p of prepared) {
        if (p.insertId) {
          const key = `${name}\u0000${p.insertId}`;
          if (this.seenInsertIds.has(key)) continue;
          this.seenInsertIds.set(key, now);
        }
        const info = insert.run(...p.values);
        mark.run(info.lastInsertRowid, now);
      }
    })();
    return { kind: 'bigquery#tableDataInsertAllResponse', ...(errors.length ? { insertErrors: errors } : {}) };
  }

  // ---- queries -------------------------------------------------------------------------------

  query(projectId: string, sql: string, parameterMode: string | undefined, params: QueryParameter[] = []): QueryOutcome {
    if (typeof sql !== 'string' || !sql.trim()) throw new BqHttpError(400, 'invalid', 'Query text is required.');
    let tr;
    try {
      tr = translate(sql, projectId);
    } catch (err) {
      if (err instanceof SqlError) throw new BqHttpError(400, 'invalidQuery', err.message);
      throw err;
    }
    for (const ref of tr.tables) this.getTable(ref.projectId, ref.datasetId, ref.tableId);
    const bindings = this.bindings(parameterMode, params);
    if (tr.kind === 'merge') {
      // SQLite has no MERGE; the streaming-buffer rule is still enforced on its target.
      const target = tr.tables[0];
      if (target && this.hasBufferedRows(target)) throw bufferError(target);
      throw new BqHttpError(400, 'invalidQuery', 'MERGE is not supported by the Kith BigQuery emulator');
    }
    if (tr.kind === 'other') throw new BqHttpError(400, 'invalidQuery', 'Only SELECT, INSERT, UPDATE and DELETE statements are supported by the emulator');
    let stmt;
    try {
      stmt = this.db.prepare(tr.sql);
    } catch (err) {
      throw new BqHttpError(400, 'invalidQuery', `Syntax error: ${(err as Error).message}`);
    }
    try {
      if (tr.kind !== 'select') {
        const info = stmt.run(...bindings);
        return { kind: 'dml', statement: tr.kind, affected: info.changes };
      }
      stmt.safeIntegers(true);
      const columns = stmt.columns();
      const raw = stmt.raw(true).all(...bindings) as unknown[][];
      const fields = columns.map((c, idx) => {
        const origin = c.table && c.column ? this.tables.get(c.table)?.fields.find((f) => f.name === c.column) : undefined;
        return { name: c.name, type: origin?.bq ?? inferType(raw.map((r) => r[idx])), mode: 'NULLABLE' };
      });
      const rows = raw.map((r) => ({ f: r.map((v, idx) => ({ v: toWire(fields[idx]!.type as BqType, v) })) }));
      return { kind: 'rows', fields, rows };
    } catch (err) {
      const message = (err as Error).message;
      if (message.includes(BUFFER_MARK)) throw bufferError(tr.tables[0]!);
      if (err instanceof RangeError || message.includes('parameter')) throw new BqHttpError(400, 'invalidQuery', `Query parameter problem: ${message}`);
      throw new BqHttpError(400, 'invalidQuery', message);
    }
  }

  private hasBufferedRows(ref: TableRef): boolean {
    const row = this.db.prepare(`SELECT 1 FROM "${sqliteTableName(ref)}$streamed" WHERE at > ? LIMIT 1`).get(this.now() - this.streamingBufferMs);
    return row !== undefined;
  }

  private bindings(parameterMode: string | undefined, params: QueryParameter[]): unknown[] {
    const positional = parameterMode?.toUpperCase() === 'POSITIONAL';
    const named: Record<string, unknown> = {};
    const list: unknown[] = [];
    for (const p of params) {
      const type = p.parameterType?.type?.toUpperCase();
      const label = p.name ?? `#${list.length + 1}`;
      let value: unknown;
      try {
        if (type === 'ARRAY') {
          const inner = normaliseType(p.parameterType.arrayType?.type ?? '');
          if (!inner) throw new ValueError(`unsupported array element type ${p.parameterType.arrayType?.type}`);
          const items = (p.parameterValue?.arrayValues ?? []).map((a) => toSqlite(inner, a.value));
          value = JSON.stringify(items, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
        } else {
          const t = normaliseType(type ?? '');
          if (!t) throw new ValueError(`unsupported type ${type}`);
          value = toSqlite(t, p.parameterValue?.value);
        }
      } catch (err) {
        throw new BqHttpError(400, 'invalidQuery', `Invalid value for query parameter ${label}: ${(err as Error).message}`);
      }
      if (positional) list.push(value);
      else if (p.name) named[p.name] = value;
      else throw new BqHttpError(400, 'invalidQuery', 'Named query parameters need a name');
    }
    if (positional) return list;
    return Object.keys(named).length ? [named] : [];
  }

  close(): void {
    this.db.close();
  }
}

function bufferError(ref: TableRef): BqHttpError {
  return new BqHttpError(
    400,
    'invalidQuery',
    `UPDATE or DELETE statement over table ${ref.projectId}.${ref.datasetId}.${ref.tableId} would affect rows in the streaming buffer, which is not supported`,
  );
}

/** JSON_VALUE(json, '$.a.b'): a scalar at a simple path, else NULL. */
function jsonValue(json: unknown, path: unknown): string | null {
  if (typeof json !== 'string' || typeof path !== 'string' || !path.startsWith('$')) return null;
  let cur: unknown;
  try {
    cur = JSON.parse(json);
  } catch {
    return null;
  }
  for (const key of path.slice(1).split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return null;
    cur = (cur as Record<string, unknown>)[key];
  }
  if (cur === null || cur === undefined || typeof cur === 'object') return null;
  return String(cur);
}
