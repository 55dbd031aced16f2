import type { DbEngine } from './db.js';

/**
 * One versioned schema step. `sql` is shared when both engines accept it; otherwise give
 * `sqlite` and `postgres` separately. Versions only grow; an applied migration is never edited.
 */
export interface Migration {
  version: number;
  name: string;
  sql?: string;
  sqlite?: string;
  postgres?: string;
}

export function migrationSql(m: Migration, engine: DbEngine): string {
  const sql = (engine === 'sqlite' ? m.sqlite : m.postgres) ?? m.sql;
  if (sql === undefined) throw new Error(`migration ${m.version} (${m.name}) has no SQL for ${engine}`);
  return sql;
}
