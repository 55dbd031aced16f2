import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { ENGINES, freshDb } from '../support/test-env.js';

describe.each(ENGINES)('database on %s', (engine) => {
  it('applies every migration once, records it, and is idempotent', async () => {
    const t = await freshDb(engine);
    try {
      const rows = await t.db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
      expect(await migrate(t.db)).toEqual([]);
    } finally {
      await t.dispose();
    }
  });

  it('concurrent migrators do not collide', async () => {
    const t = await freshDb(engine, { migrate: false });
    try {
      const results = await Promise.all([migrate(t.db), migrate(t.db), migrate(t.db)]);
      // Every migration applied exactly once, by whichever migrator got there first.
      expect(results.flat().sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    } finally {
      await t.dispose();
    }
  });

  it('rolls back a failed transaction completely', async () => {
    const t = await freshDb(engine);
    try {
      await expect(
        t.db.tx(async (q) => {
          await q.run(`INSERT INTO sync_logs (id, event_type, status, created_at) VALUES ('a', 't', 'info', 1)`);
          await q.run(`INSERT INTO sync_logs (id, event_type, status, created_at) VALUES ('a', 't', 'info', 1)`);
        }),
      ).rejects.toThrow();
      expect(await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sync_logs')).toEqual({ n: 0 });
      expect((await t.db.get<{ n: number }>('SELECT ? + 1 AS n', [41]))?.n).toBe(42);
    } finally {
      await t.dispose();
    }
  });
});
