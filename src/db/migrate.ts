import type { Db } from './db.js';
import { type Migration, migrationSql } from './migration.js';
import { MIGRATIONS } from './migrations/index.js';

const LOCK_KEY = 7_405_311; // pg advisory lock id for Kith migrations

/**
 * Apply pending migrations, each in its own transaction. Safe to call from many processes at
 * once: PostgreSQL serialises on an advisory lock, SQLite on BEGIN IMMEDIATE; whoever comes
 * second sees the version already applied and skips it.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const ordered = sortedUnique(migrations);
  // CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin on PostgreSQL: lock first.
  await db.tx(async (q) => {
    if (q.engine === 'postgres') await q.run('SELECT pg_advisory_xact_lock(?)', [LOCK_KEY]);
    await q.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  });
  const applied: number[] = [];
  for (const m of ordered) {
    const done = await db.tx(async (q) => {
      if (q.engine === 'postgres') await q.run('SELECT pg_advisory_xact_lock(?)', [LOCK_KEY]);
      const row = await q.get('SELECT version FROM schema_migrations WHERE version = ?', [m.version]);
      if (row) return false;
      await q.exec(migrationSql(m, q.engine));
      await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}

/** Areas add migrations independently: apply them by version, refusing duplicate versions. */
function sortedUnique(migrations: readonly Migration[]): Migration[] {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((m, i) => {
    if (i > 0 && m.version === ordered[i - 1]!.version) throw new Error(`two migrations share version ${m.version}: ${ordered[i - 1]!.name} and ${m.name}`);
  });
  return ordered;
}
