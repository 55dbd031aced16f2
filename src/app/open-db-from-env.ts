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
