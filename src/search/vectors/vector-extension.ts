import * as sqliteVec from 'sqlite-vec';
import type { Db } from '../../db/db.js';
import { SqliteDb } from '../../db/sqlite-db.js';

export type ExtensionCheck = { ok: true } | { ok: false; reason: string };

/**
 * Make the engine's vector extension usable on this database: sqlite-vec loaded into every
 * SQLite connection; pgvector enabled (`CREATE EXTENSION IF NOT EXISTS vector`) on PostgreSQL.
 * When it cannot be, the reason says so in one line a person can act on.
 */
export function enableVectorExtension(db: Db): Promise<ExtensionCheck> {
  // Once per database handle: /health and every search ask, and a refused CREATE EXTENSION
  // should not be tried (and logged by PostgreSQL) each time. A retried check needs a restart.
  let check = checks.get(db);
  if (!check) {
    check = enable(db).catch((err: unknown) => {
      checks.delete(db);
      throw err;
    });
    checks.set(db, check);
  }
  return check;
}

const checks = new WeakMap<Db, Promise<ExtensionCheck>>();

async function enable(db: Db): Promise<ExtensionCheck> {
  if (db.engine === 'sqlite') {
    if (!(db instanceof SqliteDb)) return { ok: false, reason: 'this SQLite handle cannot load extensions: vector search off, BM25 only' };
    try {
      db.loadExtension('sqlite-vec', (raw) => sqliteVec.load(raw));
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `sqlite-vec cannot be loaded into SQLite (${(err as Error).message}): vector search off, BM25 only` };
    }
  }
  if (await db.get("SELECT 1 AS x FROM pg_extension WHERE extname = 'vector'")) return { ok: true };
  if (!(await db.get("SELECT 1 AS x FROM pg_available_extensions WHERE name = 'vector'"))) {
    return { ok: false, reason: 'pgvector is not installed in this PostgreSQL: vector search off, BM25 only (Debian/Ubuntu: apt-get install postgresql-<version>-pgvector)' };
  }
  try {
    await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
    return { ok: true };
  } catch (err) {
    // Two processes creating it at once: the loser fails on a unique key, yet the extension is there.
    if (await db.get("SELECT 1 AS x FROM pg_extension WHERE extname = 'vector'")) return { ok: true };
    return {
      ok: false,
      reason: `pgvector is installed in this PostgreSQL but cannot be enabled in this database (${(err as Error).message}; a superuser can run CREATE EXTENSION vector): vector search off, BM25 only`,
    };
  }
}
