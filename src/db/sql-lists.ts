import type { Queryable, SqlValue } from './db.js';

/**
 * Lists of values as one parameter (a JSON array for SQLite's json_each, an array for
 * PostgreSQL), so a statement stays prepared once whatever the list length and never meets
 * a placeholder limit.
 */
export function inList(q: Queryable, column: string, values: readonly (string | number)[], pgType: 'text' | 'bigint' = 'text'): { sql: string; params: SqlValue[] } {
  if (q.engine === 'sqlite') return { sql: `${column} IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(values)] };
  return { sql: `${column} = ANY(CAST(? AS ${pgType}[]))`, params: [pgArray(values)] };
}

/** node-postgres serialises JS arrays to PostgreSQL arrays; the Db interface types params narrowly. */
export function pgArray(values: readonly unknown[]): SqlValue {
  return values as unknown as SqlValue;
}
