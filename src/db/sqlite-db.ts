import { mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { FatalError, TemporaryError } from '../errors.js';
import { handleClosed, handleOpened, type OpenHandle } from '../support/open-handles.js';
import type { Db, Params, Queryable, Row } from './db.js';
import { startWalCheckpointer, type WalCheckpointer, type WalCheckpointOptions } from './wal-checkpointer.js';

type Stmt = Database.Statement;

/** A statement outside a transaction waits this long for the write lock (SQLite's busy handler). */
const BUSY_TIMEOUT_MS = 15_000;
/** A transaction waits this long for the write lock by default (asynchronously, see `begin`). */
const LOCK_WAIT_MS = 120_000;

const PRAGMA = /^\s*PRAGMA\b/i;

function normalise(params: Params | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

export interface SqliteOpenOptions {
  /** The setting that named the file, for error messages (default: KITH_DATA_DIR). */
  setting?: string;
  /** Create the file's directory when it is missing (default true: the data directory). */
  createDir?: boolean;
}

/** A database file that cannot be opened: one line naming the file, what is wrong and what to do. */
function openError(path: string, problem: string, advice: string, cause: unknown): FatalError {
  const code = (cause as { code?: string } | undefined)?.code;
  return new FatalError(`${path} ${problem} (${advice})`, code, { cause });
}

/**
 * Open a database file and make sure it is one, with errors that name it: a missing or
 * read-only directory, a path under a file, a file that is not SQLite, a corrupt one.
 */
function openSqliteFile(path: string, opts: SqliteOpenOptions): Database.Database {
  const setting = opts.setting ?? 'KITH_DATA_DIR';
  if (path !== ':memory:') {
    const dir = dirname(path);
    let isDir: boolean | undefined;
    try {
      isDir = statSync(dir).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw openError(path, `cannot be opened: its directory ${dir} is not reachable (${code})`, `check ${setting}`, err);
    }
    if (isDir === false) throw openError(path, `cannot be opened: ${dir} is a file, not a directory`, `check ${setting}`, undefined);
    if (isDir === undefined) {
      if (opts.createDir === false) throw openError(path, `cannot be opened: its directory ${dir} does not exist`, `create it, or check ${setting}`, undefined);
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw openError(path, `cannot be opened: its directory ${dir} cannot be created (${code})`, `create it, or check ${setting}`, err);
      }
    }
  }
  let raw: Database.Database | undefined;
  try {
    raw = new Database(path);
    // The first statement reads the file's header: this is where another file shows.
    raw.pragma('journal_mode = WAL');
    return raw;
  } catch (err) {
    raw?.close();
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') throw openError(path, 'is not a SQLite database', `it may be another file: check ${setting}`, err);
    if (code === 'SQLITE_CORRUPT') throw openError(path, 'is a corrupt SQLite database', `restore it from a backup, or check ${setting}`, err);
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'SQLITE_IOERR' || code?.startsWith('SQLITE_CANTOPEN') || code?.startsWith('SQLITE_READONLY')) {
      throw openError(path, `cannot be opened for writing (${code}: ${(err as Error).message})`, `make it and its directory ${dirname(path)} writable by this user, or check ${setting}`, err);
    }
    throw openError(path, `cannot be opened (${(err as Error).message})`, `check ${setting}`, err);
  }
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
  /** A second connection for reads outside transactions (the same one for ':memory:'). */
  private readonly readerRaw: Database.Database;
  private readonly reader: SqliteQueryable;
  readonly describe: string;

  private readonly lockWaitMs: number;
  private readonly handle: OpenHandle;

  constructor(
    readonly path: string,
    opts: { lockWaitMs?: number } & SqliteOpenOptions = {},
  ) {
    const raw = openSqliteFile(path, opts);
    raw.pragma('synchronous = NORMAL');
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    raw.pragma('foreign_keys = ON');
    // 64 MB page cache: bulk ingest keeps the interactions indexes hot instead of re-reading them.
    raw.pragma('cache_size = -65536');
    raw.pragma('temp_store = MEMORY');
    // Checkpoint every ~400 MB of WAL instead of 4 MB. A bulk-ingest transaction dirties index
    // pages all over the file (~60 MB per commit at 1M interactions); with a small WAL every
    // commit was followed by a checkpoint copying all of them back and syncing. With a large one
    // a page rewritten by ten commits is copied once: commits of a 1M import took 3 s, not 7.6 s.
    // After a checkpoint the WAL file is truncated to 64 MB, so the disk space comes back.
    raw.pragma('wal_autocheckpoint = 100000');
    raw.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    // Helper threads for big sorts (GROUP BY, CREATE INDEX): relationship discovery sorts millions of pairs.
    raw.pragma(`threads = ${Math.min(4, availableParallelism())}`);
    super(raw);
    this.lockWaitMs = opts.lockWaitMs ?? LOCK_WAIT_MS;
    this.txHandle = new SqliteQueryable(raw);
    // WAL readers see the last commit and never wait for a writer, so reads outside a
    // transaction go to their own connection instead of queueing behind this process's
    // transactions (which may be waiting for another process's write lock).
    if (path === ':memory:') this.readerRaw = raw;
    else {
      this.readerRaw = new Database(path);
      this.readerRaw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      this.readerRaw.pragma('cache_size = -16384');
      this.readerRaw.pragma('query_only = ON');
    }
    this.reader = new SqliteQueryable(this.readerRaw);
    this.describe = `sqlite:${path}`;
    this.handle = handleOpened('database', this.describe);
  }

  /**
   * A statement outside a transaction. A write runs as a transaction of its own, so it waits
   * for another process's write lock the way `tx` does (between turns of the event loop)
   * instead of in SQLite's busy handler, which sleeps inside the call and stalls every job of
   * this process meanwhile. A read goes to the reader connection: it sees what was committed
   * and waits for nothing (on ':memory:', one connection: it waits for the open transaction).
   */
  private async outside<T>(sql: string, fn: (q: Queryable) => Promise<T>): Promise<T> {
    if (!this.stmt(sql).readonly) return this.tx(fn);
    // A pragma reads the settings of the connection it runs on: the writer's are the ones that count.
    const onWriter = this.readerRaw === this.raw || PRAGMA.test(sql);
    if (onWriter && this.inTx) await this.lock.catch(() => undefined);
    return fn(onWriter ? this.txHandle : this.reader);
  }
  override all<T = Row>(sql: string, params?: Params) {
    return this.outside(sql, (q) => q.all<T>(sql, params));
  }
  override get<T = Row>(sql: string, params?: Params) {
    return this.outside(sql, (q) => q.get<T>(sql, params));
  }
  override run(sql: string, params?: Params) {
    return this.outside(sql, (q) => q.run(sql, params));
  }
  override runMany(sql: string, rows: readonly Params[]) {
    return this.outside(sql, (q) => q.runMany(sql, rows));
  }

  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const next = this.lock.catch(() => undefined).then(async () => {
      this.inTx = true;
      await this.begin();
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

  /**
   * BEGIN IMMEDIATE, waiting for another process's write transaction without blocking this
   * thread: SQLite's own busy handler sleeps synchronously (the event loop stalls, BullMQ
   * cannot renew its job locks) and polls every 100 ms, so a process that commits and begins
   * again at once can starve it. Here the wait polls every few milliseconds between turns of
   * the event loop, up to `lockWaitMs` (default 2 minutes).
   */
  private async begin(): Promise<void> {
    const deadline = Date.now() + this.lockWaitMs;
    // Prepared once and cached: this runs for every transaction (~2 µs instead of ~9 µs a pair).
    this.stmt('PRAGMA busy_timeout = 0').get();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          this.raw.exec('BEGIN IMMEDIATE');
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
          if (Date.now() >= deadline) {
            throw new TemporaryError(`database is locked: another process has held the write lock of ${this.path} for over ${this.lockWaitMs / 1000} s`, 'SQLITE_BUSY', { cause: err });
          }
        }
        await sleep(Math.min(1 + attempt, 10));
      }
    } finally {
      this.stmt(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`).get();
    }
  }

  private checkpointer: WalCheckpointer | undefined;

  /**
   * Checkpoint the write-ahead log from a worker thread from now on (wal-checkpointer.ts), so no
   * COMMIT of this process stalls its event loop copying the log: for long-running processes
   * that answer requests or run many small jobs. Bulk work keeps the large autocheckpoint below
   * as its safety net either way. Nothing for ':memory:'.
   */
  checkpointInBackground(opts: WalCheckpointOptions = {}): WalCheckpointer | undefined {
    if (this.path === ':memory:') return undefined;
    this.checkpointer ??= startWalCheckpointer(this.path, opts);
    return this.checkpointer;
  }

  private readonly extensions = new Set<string>();

  /**
   * Load a SQLite extension (e.g. sqlite-vec) into every connection of this database, the
   * writer and the reader, once per name: a statement may run on either.
   */
  loadExtension(name: string, load: (raw: Database.Database) => void): void {
    if (this.extensions.has(name)) return;
    load(this.raw);
    if (this.readerRaw !== this.raw) load(this.readerRaw);
    this.extensions.add(name);
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
    await this.checkpointer?.stop();
    if (this.readerRaw !== this.raw && this.readerRaw.open) this.readerRaw.close();
    if (this.raw.open) this.raw.close();
    handleClosed(this.handle);
  }
}
