import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import pg from 'pg';
import { redactUrl } from '../log/logger.js';
import { handleClosed, handleOpened, type OpenHandle } from '../support/open-handles.js';
import type { Db, Params, Queryable, Row } from './db.js';

// BIGINT (epoch ms, counts) as numbers: every value Kith stores fits in 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// NUMERIC as numbers too (SUM over BIGINT yields NUMERIC).
pg.types.setTypeParser(1700, (v) => Number(v));

const rewriteCache = new Map<string, string>();

/** `?` → `$1, $2, …`, skipping quoted strings. */
export function toPgPlaceholders(sql: string): string {
  const hit = rewriteCache.get(sql);
  if (hit) return hit;
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else out += ch;
  }
  rewriteCache.set(sql, out);
  return out;
}

type Client = pg.Pool | pg.PoolClient;

class PgQueryable implements Queryable {
  readonly engine = 'postgres' as const;
  constructor(protected readonly client: Client) {}

  private async q(sql: string, params?: Params) {
    return this.client.query({ text: toPgPlaceholders(sql), values: params ? [...params] : [] });
  }
  async all<T = Row>(sql: string, params?: Params): Promise<T[]> {
    return (await this.q(sql, params)).rows as T[];
  }
  async get<T = Row>(sql: string, params?: Params): Promise<T | undefined> {
    return (await this.q(sql, params)).rows[0] as T | undefined;
  }
  async run(sql: string, params?: Params): Promise<{ changes: number }> {
    return { changes: (await this.q(sql, params)).rowCount ?? 0 };
  }
  async runMany(sql: string, rows: readonly Params[]): Promise<{ changes: number; perRow: number[] }> {
    const perRow: number[] = [];
    for (const r of rows) perRow.push((await this.q(sql, r)).rowCount ?? 0);
    return { changes: perRow.reduce((a, b) => a + b, 0), perRow };
  }
  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }
  /** `COPY <table> FROM STDIN` with `data` (already in COPY's format) through pg-copy-streams; resolves to the rows copied. */
  async copyFrom(sql: string, data: Iterable<Buffer>): Promise<number> {
    if (!('release' in this.client)) throw new Error('COPY FROM STDIN needs a transaction (its staging rows live in a temporary table of one connection)');
    const stream = this.client.query(copyFrom(sql));
    await pipeline(Readable.from(data), stream);
    return stream.rowCount;
  }
}

/** The COPY-capable side of a PostgreSQL queryable (the ingest's staging load), or undefined on SQLite. */
export function pgCopyTarget(q: Queryable): { copyFrom(sql: string, data: Iterable<Buffer>): Promise<number> } | undefined {
  return q instanceof PgQueryable ? q : undefined;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

export class PostgresDb extends PgQueryable implements Db {
  readonly describe: string;
  private readonly handle: OpenHandle;
  constructor(
    private readonly pool: pg.Pool,
    url: string,
  ) {
    super(pool);
    this.describe = redactUrl(url);
    this.handle = handleOpened('database', this.describe);
  }

  static open(url: string, max = 10): PostgresDb {
    const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000, idleTimeoutMillis: 10_000 });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    return new PostgresDb(pool, url);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(new PgQueryable(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < 8) {
          await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
          continue;
        }
        throw err;
      } finally {
        client.release();
      }
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
  async close(): Promise<void> {
    await this.pool.end();
    handleClosed(this.handle);
  }
}
