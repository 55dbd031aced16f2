import { loadCoreConfig } from '../config/core.config.js';
import { loadDbConfig } from '../config/db.config.js';
import { loadDotenv } from '../config/parse-env.js';
import type { Db } from '../db/db.js';
import { openDb } from '../db/open-db.js';

/** For commands that only need the database (people, stats, contacts …): no Redis. */
export async function openDbFromEnv(): Promise<Db> {
  loadDotenv();
  const core = loadCoreConfig();
  return openDb(loadDbConfig(core.dataDir));
}

/** Run `fn` with the configured database and close it afterwards, whatever happens. */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDbFromEnv();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
