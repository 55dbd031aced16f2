import type { DbConfig } from '../config/db.config.js';
import type { Db } from './db.js';
import { migrate } from './migrate.js';
import { PostgresDb } from './postgres-db.js';
import { SqliteDb } from './sqlite-db.js';

/** Open the configured database and bring its schema up to date. */
export async function openDb(config: DbConfig, opts: { migrate?: boolean } = {}): Promise<Db> {
  const db: Db =
    config.engine === 'sqlite'
      ? new SqliteDb(config.path, config.setting ? { setting: config.setting, createDir: false } : {})
      : PostgresDb.open(config.url);
  if (opts.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw new Error(`cannot prepare the database at ${db.describe}: ${(err as Error).message}`, { cause: err });
    }
  }
  return db;
}
