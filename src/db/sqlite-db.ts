import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Db, Params, Queryable, Row } from './db.js';

type Stmt = Database.Statement;

function normalise(params: Params | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/** Statements are prepared once per SQL string and reused. */
class SqliteQueryable implements Queryable {
  readonly engine = 'sqlite' as const;
  private readonly cache = new Map<string, Stmt>();
  constructor(protected readonly raw: Database.Database) {}

  protected stmt(sql: string): Stmt {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }
  async all<T = Row>(sql: string, params?: Params): Promise<T[]> {
    return this.stmt(sql).all(...normalise(params)) as T[];
  }
  async get<T = Row>(sql: string, params?: Params): Promise<T | undefined> {
    return this.stmt(sql).get(...normalise(params)) as T | undefined;
  }
  async run(sql: string, params?: Params): Promise<{ changes: number }> {
    const s = this.stmt(sql);
    if (!s.reader) return { changes: s.run(...normalise(params)).changes };
    s.all(...normalise(params));
    return { changes: 0 };
  }
  async runMany(sql: string, rows: readonly Params[]): Promise<{ changes: number; perRow: number[] }> {
    const s = this.stmt(sql);
    const perRow = new Array<number>(rows.length);
    let changes = 0;
    for (let i = 0; i < rows.length; i++) changes += perRow[i] = s.run(...normalise(rows[i])).changes;
    return { changes, perRow };
  }
  async exec(sql: string): Promise<void> {
    this.raw.exec(sql);
  }
}

/**
 * One connection per process, WAL mode. Transactions are serialised inside the process by a
 * promise chain (one connection cannot hold two) and across processes by BEGIN IMMEDIATE with
 * a busy timeout. Calls made outside a transaction wait for the open one to finish.
 */
export class SqliteDb extends SqliteQueryable implements Db {
  private lock: Promise<unknown> = Promise.resolve();
  private inTx = false;
  private readonly txHandle: SqliteQueryable;
  readonly describe: string;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('busy_timeout = 15000');
    raw.pragma('foreign_keys = ON');
    // 64 MB page cache: bulk ingest keeps the interactions indexes hot instead of re-reading them.
    raw.pragma('cache_size = -65536');
    raw.pragma('temp_store = MEMORY');
    // Checkpoint every ~40 MB of WAL instead of 4 MB: each checkpoint syncs the database file, and
    // bulk ingest dirties index pages all over it, so ten times fewer checkpoints is ~15% faster.
    raw.pragma('wal_autocheckpoint = 10000');
    // Helper threads for big sorts (GROUP BY, CREATE INDEX): relationship discovery sorts millions of pairs.
    raw.pragma(`threads = ${Math.min(4, availableParallelism())}`);
    super(raw);
    this.txHandle = new SqliteQueryable(raw);
    this.describe = `sqlite:${path}`;
  }

  private async outside<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTx) await this.lock.catch(() => undefined);
    return fn();
  }
  override all<T = Row>(sql: string, params?: Params) {
    return this.outside(() => super.all<T>(sql, params));
  }
  override get<T = Row>(sql: string, params?: Params) {
    return this.outside(() => super.get<T>(sql, params));
  }
  override run(sql: string, params?: Params) {
    return this.outside(() => super.run(sql, params));
  }
  override runMany(sql: string, rows: readonly Params[]) {
    return this.outside(() => super.runMany(sql, rows));
  }

  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const next = this.lock.catch(() => undefined).then(async () => {
      this.inTx = true;
      this.raw.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this.txHandle);
        this.raw.exec('COMMIT');
        return out;
      } catch (err) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw err;
      } finally {
        this.inTx = false;
      }
    });
    this.lock = next;
    return next;
  }

  async ping(): Promise<boolean> {
    try {
      this.raw.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }
  async close(): Promise<void> {
    await this.lock.catch(() => undefined);
    if (this.raw.open) this.raw.close();
  }
}
