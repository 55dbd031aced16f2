/**
 * One small async interface over SQLite (better-sqlite3) and PostgreSQL (pg).
 *
 * SQL is written once with `?` placeholders in the common dialect (both engines support
 * `INSERT … ON CONFLICT … DO UPDATE`, `RETURNING`, window functions); the PostgreSQL driver
 * rewrites placeholders to `$n`. Timestamps are stored as epoch milliseconds (BIGINT) and JSON
 * as TEXT, so rows look the same on both engines.
 */
export type SqlValue = string | number | bigint | boolean | null | Buffer;
export type Params = readonly SqlValue[];
export type Row = Record<string, unknown>;

export type DbEngine = 'sqlite' | 'postgres';

export interface Queryable {
  readonly engine: DbEngine;
  all<T = Row>(sql: string, params?: Params): Promise<T[]>;
  get<T = Row>(sql: string, params?: Params): Promise<T | undefined>;
  run(sql: string, params?: Params): Promise<{ changes: number }>;
  /**
   * Run one statement for many parameter rows (prepared once; fastest path for bulk work).
   * `perRow[i]` is what row i changed, e.g. 0 for an `INSERT … ON CONFLICT DO NOTHING` that hit a duplicate.
   */
  runMany(sql: string, rows: readonly Params[]): Promise<{ changes: number; perRow: number[] }>;
  /** Several `;`-separated statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  /**
   * Run `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * SQLite takes the write lock up front (BEGIN IMMEDIATE); PostgreSQL retries the whole
   * function on serialization failures and deadlocks, so `fn` must be safe to re-run.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Cheap reachability probe for /health. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** Human-readable location with secrets removed. */
  readonly describe: string;
}

/** Build `(?, ?, ?), (?, ?, ?)` for multi-row inserts. */
export function placeholders(rows: number, cols: number): string {
  const one = `(${new Array(cols).fill('?').join(', ')})`;
  return new Array(rows).fill(one).join(', ');
}
